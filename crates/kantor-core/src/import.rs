//! Staff import: from the cells of a spreadsheet to validated rows with per-row errors.
//!
//! Parsing CSV or XLSX into cells happens at the edge; this module takes the header and the rows
//! as strings and decides, row by row, what would be imported. Nothing is written until an admin
//! confirms the preview, and then only the valid rows (or nothing, when errors remain and the
//! admin did not ask to skip them).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::validate;

/// Most rows one import may hold.
pub const MAX_ROWS: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    Email,
    Phone,
    EmployeeNumber,
    Unit,
    Position,
    TimeZone,
}

impl Column {
    /// Header spellings we accept, English and Indonesian, compared case-insensitively with
    /// spaces, dashes and dots read as underscores.
    fn from_header(h: &str) -> Option<Column> {
        let h: String = h
            .trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .chars()
            .map(|c| {
                if c == ' ' || c == '-' || c == '.' {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        Some(match h.as_str() {
            "name" | "nama" | "full_name" | "nama_lengkap" => Column::Name,
            "email" | "e_mail" | "surel" => Column::Email,
            "phone" | "telepon" | "telp" | "hp" | "no_hp" | "nomor_hp" | "phone_number" => {
                Column::Phone
            }
            "employee_number" | "nip" | "nik" | "nik_karyawan" | "nomor_pegawai"
            | "employee_no" => Column::EmployeeNumber,
            "unit" | "unit_kerja" | "unit_path" | "department" | "divisi" => Column::Unit,
            "position" | "jabatan" | "title" => Column::Position,
            "time_zone" | "timezone" | "zona_waktu" | "tz" => Column::TimeZone,
            _ => return None,
        })
    }
}

/// One row's problem: which field and a stable code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub field: &'static str,
    pub code: &'static str,
}

/// A row as it would be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportRow {
    /// Line number in the file (header is line 1).
    pub line: usize,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub employee_number: Option<String>,
    /// Unit path from the root, e.g. `["Dinas Kominfo", "Bidang TIK"]`; empty means no unit.
    pub unit_path: Vec<String>,
    pub position: Option<String>,
    pub time_zone: String,
    pub errors: Vec<RowError>,
}

/// What the import needs to know about the organisation.
pub struct ImportContext<'a> {
    pub default_time_zone: &'a str,
    /// Emails (lower-case) already in the organisation.
    pub existing_emails: &'a HashSet<String>,
    /// Employee numbers already in the organisation.
    pub existing_employee_numbers: &'a HashSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// A required column (`name` or `email`) is missing.
    MissingColumn(&'static str),
    TooManyRows,
    Empty,
}

/// Maps WIB/WITA/WIT (what people type) to IANA zones; anything else must be an IANA name.
fn time_zone_alias(v: &str) -> Option<&'static str> {
    match v.trim().to_uppercase().as_str() {
        "WIB" => Some("Asia/Jakarta"),
        "WITA" => Some("Asia/Makassar"),
        "WIT" => Some("Asia/Jayapura"),
        _ => None,
    }
}

/// Validates every row. Rows that are entirely empty are skipped.
pub fn validate_rows(
    header: &[String],
    rows: &[Vec<String>],
    ctx: &ImportContext<'_>,
) -> Result<Vec<ImportRow>, HeaderError> {
    if header.is_empty() {
        return Err(HeaderError::Empty);
    }
    if rows.len() > MAX_ROWS {
        return Err(HeaderError::TooManyRows);
    }
    let mut columns: HashMap<Column, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(c) = Column::from_header(h) {
            columns.entry(c).or_insert(i);
        }
    }
    for (c, name) in [(Column::Name, "name"), (Column::Email, "email")] {
        if !columns.contains_key(&c) {
            return Err(HeaderError::MissingColumn(name));
        }
    }
    let mut seen_emails: HashSet<String> = HashSet::new();
    let mut seen_numbers: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Column| -> &str {
            columns
                .get(&c)
                .and_then(|&i| row.get(i))
                .map(String::as_str)
                .unwrap_or("")
        };
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, validate::Invalid>, raw: &str| match r {
            Ok(v) => v,
            Err(e) => {
                errors.push(RowError {
                    field: e.field,
                    code: e.code,
                });
                raw.trim().to_string()
            }
        };
        let name = keep(
            validate::name("name", cell(Column::Name)),
            cell(Column::Name),
        );
        let email = keep(validate::email(cell(Column::Email)), cell(Column::Email));
        let phone = match validate::phone(Some(cell(Column::Phone))) {
            Ok(p) => p,
            Err(e) => {
                errors.push(RowError {
                    field: e.field,
                    code: e.code,
                });
                Some(cell(Column::Phone).trim().to_string())
            }
        };
        let mut optional = |field: &'static str, raw: &str, max: usize| {
            validate::optional_text(field, Some(raw), max).unwrap_or_else(|e| {
                errors.push(RowError {
                    field: e.field,
                    code: e.code,
                });
                Some(raw.trim().to_string())
            })
        };
        let employee_number = optional("employee_number", cell(Column::EmployeeNumber), 64);
        let position = optional("position", cell(Column::Position), 120);
        let unit_path: Vec<String> = cell(Column::Unit)
            .split('/')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if unit_path
            .iter()
            .any(|u| u.chars().count() > validate::MAX_NAME_CHARS)
        {
            errors.push(RowError {
                field: "unit",
                code: "validation.too_long",
            });
        }
        let tz_raw = cell(Column::TimeZone).trim();
        let time_zone = if tz_raw.is_empty() {
            ctx.default_time_zone.to_string()
        } else if let Some(z) = time_zone_alias(tz_raw) {
            z.to_string()
        } else {
            match validate::time_zone("time_zone", tz_raw) {
                Ok(z) => z,
                Err(e) => {
                    errors.push(RowError {
                        field: e.field,
                        code: e.code,
                    });
                    tz_raw.to_string()
                }
            }
        };
        if !errors.iter().any(|e| e.field == "email") {
            if ctx.existing_emails.contains(&email) {
                errors.push(RowError {
                    field: "email",
                    code: "member.email_taken",
                });
            } else if !seen_emails.insert(email.clone()) {
                errors.push(RowError {
                    field: "email",
                    code: "import.duplicate_in_file",
                });
            }
        }
        if let Some(n) = &employee_number {
            if ctx.existing_employee_numbers.contains(n) {
                errors.push(RowError {
                    field: "employee_number",
                    code: "member.employee_number_taken",
                });
            } else if !seen_numbers.insert(n.clone()) {
                errors.push(RowError {
                    field: "employee_number",
                    code: "import.duplicate_in_file",
                });
            }
        }
        out.push(ImportRow {
            line: i + 2,
            name,
            email,
            phone,
            employee_number,
            unit_path,
            position,
            time_zone,
            errors,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn check(header: &[&str], rows: &[&[&str]], existing: &[&str]) -> Vec<ImportRow> {
        let existing: HashSet<String> = existing.iter().map(|s| s.to_string()).collect();
        let none = HashSet::new();
        let ctx = ImportContext {
            default_time_zone: "Asia/Jakarta",
            existing_emails: &existing,
            existing_employee_numbers: &none,
        };
        let rows: Vec<Vec<String>> = rows.iter().map(|r| strings(r)).collect();
        validate_rows(&strings(header), &rows, &ctx).expect("header is valid")
    }

    #[test]
    fn indonesian_headers_and_zone_abbreviations_are_understood() {
        let rows = check(
            &[
                "Nama",
                "Email",
                "NIP",
                "Unit Kerja",
                "Jabatan",
                "Zona Waktu",
            ],
            &[&[
                "Siti Rahma",
                "SITI@kominfo.go.id",
                "198703152010012001",
                "Dinas Kominfo / Bidang TIK",
                "Kepala Seksi",
                "WITA",
            ]],
            &[],
        );
        let r = &rows[0];
        assert_eq!(r.errors, vec![]);
        assert_eq!(r.email, "siti@kominfo.go.id");
        assert_eq!(r.unit_path, vec!["Dinas Kominfo", "Bidang TIK"]);
        assert_eq!(r.time_zone, "Asia/Makassar");
        assert_eq!(r.line, 2);
    }

    #[test]
    fn bad_rows_are_reported_field_by_field() {
        let rows = check(
            &["name", "email", "employee_number", "time_zone"],
            &[
                &["", "a@x.id", "1", ""],
                &["Budi", "not-an-email", "2", "Mars/Base"],
                &["Ani", "a@x.id", "1", ""],
                &["", "", "", ""],
                &["Joko", "old@x.id", "", ""],
            ],
            &["old@x.id"],
        );
        assert_eq!(rows.len(), 4, "the blank row is skipped");
        assert_eq!(
            rows[0].errors,
            vec![RowError {
                field: "name",
                code: "validation.required"
            }]
        );
        assert_eq!(
            rows[1].errors,
            vec![
                RowError {
                    field: "email",
                    code: "validation.email"
                },
                RowError {
                    field: "time_zone",
                    code: "validation.time_zone"
                }
            ]
        );
        assert_eq!(
            rows[2].errors,
            vec![
                RowError {
                    field: "email",
                    code: "import.duplicate_in_file"
                },
                RowError {
                    field: "employee_number",
                    code: "import.duplicate_in_file"
                }
            ]
        );
        assert_eq!(
            rows[3].errors,
            vec![RowError {
                field: "email",
                code: "member.email_taken"
            }]
        );
        assert_eq!(rows[3].line, 6);
    }

    #[test]
    fn missing_required_columns_are_refused() {
        let none = HashSet::new();
        let ctx = ImportContext {
            default_time_zone: "Asia/Jakarta",
            existing_emails: &none,
            existing_employee_numbers: &none,
        };
        assert_eq!(
            validate_rows(&strings(&["nama", "unit"]), &[], &ctx),
            Err(HeaderError::MissingColumn("email"))
        );
    }
}
