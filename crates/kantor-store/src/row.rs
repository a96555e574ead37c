//! Reading typed values out of `Any` rows, with errors that name the column.

use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, StoreError};

pub trait RowExt {
    fn text(&self, col: &'static str) -> Result<String>;
    fn opt_text(&self, col: &'static str) -> Result<Option<String>>;
    fn int(&self, col: &'static str) -> Result<i64>;
    fn opt_int(&self, col: &'static str) -> Result<Option<i64>>;
    fn flag(&self, col: &'static str) -> Result<bool> {
        Ok(self.int(col)? != 0)
    }
    /// A value stored as text and parsed back (ids, enums).
    fn parse<T: FromStr>(&self, col: &'static str) -> Result<T> {
        self.text(col)?
            .parse()
            .map_err(|_| StoreError::Corrupt(col))
    }
    fn opt_parse<T: FromStr>(&self, col: &'static str) -> Result<Option<T>> {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| StoreError::Corrupt(col)),
        }
    }
}

impl RowExt for AnyRow {
    fn text(&self, col: &'static str) -> Result<String> {
        Ok(self.try_get::<String, _>(col)?)
    }
    fn opt_text(&self, col: &'static str) -> Result<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    fn int(&self, col: &'static str) -> Result<i64> {
        Ok(self.try_get::<i64, _>(col)?)
    }
    fn opt_int(&self, col: &'static str) -> Result<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
}

/// A flag as stored.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}
