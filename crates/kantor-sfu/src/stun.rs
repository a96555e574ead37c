//! Just enough STUN (RFC 5389) to route a first packet: the local ICE ufrag from a binding
//! request's USERNAME (`local:remote`). Everything else (integrity, fingerprint, answering) is
//! str0m's. Garbage returns `None`.

const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
const USERNAME: u16 = 0x0006;

/// True when the first byte says STUN (RFC 7983 demultiplexing: 0–3).
pub fn is_stun(buf: &[u8]) -> bool {
    buf.len() >= 20 && buf[0] < 4 && buf[4..8] == MAGIC_COOKIE
}

/// The local (our) ufrag named by a STUN message's USERNAME attribute.
pub fn local_ufrag(buf: &[u8]) -> Option<&str> {
    if !is_stun(buf) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    let body = buf.get(20..20 + len)?;
    let mut at = 0;
    while at + 4 <= body.len() {
        let kind = u16::from_be_bytes([body[at], body[at + 1]]);
        let alen = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
        let value = body.get(at + 4..at + 4 + alen)?;
        if kind == USERNAME {
            let name = std::str::from_utf8(value).ok()?;
            return name.split(':').next().filter(|s| !s.is_empty());
        }
        at += 4 + alen.div_ceil(4) * 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(username: &[u8]) -> Vec<u8> {
        let mut attrs = Vec::new();
        attrs.extend_from_slice(&USERNAME.to_be_bytes());
        attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attrs.extend_from_slice(username);
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&attrs);
        m
    }

    #[test]
    fn reads_the_local_ufrag() {
        assert_eq!(local_ufrag(&binding(b"abcd:wxyz")), Some("abcd"));
        assert_eq!(local_ufrag(&binding(b"abcde")), Some("abcde"));
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(local_ufrag(&[]), None);
        assert_eq!(local_ufrag(&[0x80; 40]), None, "RTP");
        let mut m = binding(b"abcd:wxyz");
        m[3] = 200; // claims more than there is
        assert_eq!(local_ufrag(&m), None);
        let mut m = binding(b"abcd:wxyz");
        m[22] = 0xff; // attribute longer than the message
        m[23] = 0xff;
        assert_eq!(local_ufrag(&m), None);
        assert_eq!(local_ufrag(&binding(b":x")), None);
        assert_eq!(local_ufrag(&binding(&[0xff, 0xfe])), None, "not UTF-8");
    }
}
