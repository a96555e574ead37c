//! HTTP calls to addresses that users configure (outgoing webhooks).
//!
//! A URL someone types into a settings page must not turn the server into a proxy into its own
//! network (SSRF). So a target is checked twice: when it is configured (422
//! `webhook.address_refused`), and again right before every send, because the name may resolve
//! elsewhere by then (DNS rebinding). The send then connects to exactly the address that was
//! checked (`ClientBuilder::resolve`), so a second lookup inside the HTTP client cannot swap
//! it. Private, loopback, link-local, shared (CGNAT), unique-local, multicast, reserved and
//! unspecified addresses are refused unless an organisation admin put the host on the
//! organisation's allow-list; plain `http` is allowed only for allow-listed hosts. Redirects are
//! not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

/// How long one delivery may take, connect to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a reply that is read.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why a target URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not an absolute http(s) URL")]
    BadUrl,
    #[error("only https is allowed (http needs the host on the allow-list)")]
    Scheme,
    #[error("the host does not resolve")]
    Unresolved,
    #[error("the host resolves to a private, loopback or reserved address")]
    Address,
}

/// A checked target: the URL and the one address to connect to.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    pub addr: SocketAddr,
}

/// Whether an address may not be reached without an allow-list entry.
pub fn is_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking, 198.18/15
        || a >= 240 // reserved
}

fn refused_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return refused_v4(v4);
    }
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only, 100::/64
        // IPv4-compatible (deprecated, ::a.b.c.d)
        || (s[..6] == [0, 0, 0, 0, 0, 0])
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or
/// 6to4 (`2002:AABB:CCDD::`) address, which reach that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff {
        return Some(from(s[6], s[7]));
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(from(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(from(s[1], s[2]));
    }
    None
}

/// A host as the allow-list holds it: lower case, IPv6 without brackets, no trailing dot.
pub fn normalise_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn host_of(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) => Some(normalise_host(d)),
        url::Host::Ipv4(v4) => Some(v4.to_string()),
        url::Host::Ipv6(v6) => Some(v6.to_string()),
    }
}

/// Parses a URL and checks its form (scheme, host, no credentials), without resolving.
pub fn parse(url: &str, allowed_hosts: &[String]) -> Result<(Url, String, bool), Refusal> {
    let url = Url::parse(url.trim()).map_err(|_| Refusal::BadUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::BadUrl);
    }
    let host = host_of(&url).ok_or(Refusal::BadUrl)?;
    let allowed = allowed_hosts.iter().any(|h| normalise_host(h) == host);
    match url.scheme() {
        "https" => {}
        "http" if allowed => {}
        "http" => return Err(Refusal::Scheme),
        _ => return Err(Refusal::BadUrl),
    }
    Ok((url, host, allowed))
}

/// Checks a URL and resolves it to one address that may be reached. Every resolved address
/// must pass (a name with one public and one private address is refused), unless the host is
/// on the allow-list.
pub async fn check(url: &str, allowed_hosts: &[String]) -> Result<Target, Refusal> {
    let (url, host, allowed) = parse(url, allowed_hosts)?;
    let port = url.port_or_known_default().ok_or(Refusal::BadUrl)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| Refusal::Unresolved)?
        .collect();
    let first = *addrs.first().ok_or(Refusal::Unresolved)?;
    if !allowed && addrs.iter().any(|a| is_refused(a.ip())) {
        return Err(Refusal::Address);
    }
    Ok(Target { url, addr: first })
}

/// `v1=` and the hex HMAC-SHA256, keyed by the webhook's secret, of `"{timestamp}.{body}"`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a target answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// POSTs a signed JSON body to a checked target (no redirects, [`TIMEOUT`]); a non-2xx answer
/// is an error. `timestamp` is seconds since the epoch.
pub async fn post_signed(
    target: &Target,
    secret: &str,
    timestamp: i64,
    body: &[u8],
) -> anyhow::Result<Reply> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent("Kantor-Webhook/1");
    if let Some(url::Host::Domain(d)) = target.url.host() {
        // Connect to the address that was checked, not to a fresh lookup's answer.
        builder = builder.resolve(d, target.addr);
    }
    let client = builder.build()?;
    let mut resp = client
        .post(target.url.clone())
        .header("content-type", "application/json")
        .header("x-kantor-timestamp", timestamp.to_string())
        .header("x-kantor-signature", sign(secret, timestamp, body))
        .body(body.to_vec())
        .send()
        .await?;
    let status = resp.status().as_u16();
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > MAX_REPLY_BYTES {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    if !(200..300).contains(&status) {
        anyhow::bail!("the target answered HTTP {status}");
    }
    Ok(Reply { status, body: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        is_refused(s.parse().expect("an address"))
    }

    #[test]
    fn private_loopback_and_reserved_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "::127.0.0.1",
        ] {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(!refused(a), "{a} must pass");
        }
    }

    #[test]
    fn http_needs_the_allow_list_and_other_schemes_never_pass() {
        assert_eq!(
            parse("http://example.com/x", &[]).map(|_| ()),
            Err(Refusal::Scheme)
        );
        assert!(parse("http://Example.COM./x", &["example.com".into()]).is_ok());
        assert!(parse("https://example.com/x", &[]).is_ok());
        assert_eq!(
            parse("ftp://example.com/", &[]).map(|_| ()),
            Err(Refusal::BadUrl)
        );
        assert_eq!(
            parse("https://user:pw@example.com/", &[]).map(|_| ()),
            Err(Refusal::BadUrl)
        );
        assert_eq!(parse("/relative", &[]).map(|_| ()), Err(Refusal::BadUrl));
        let (_, host, allowed) = parse("http://[::1]:8080/", &["[::1]".into()]).expect("allowed");
        assert_eq!((host.as_str(), allowed), ("::1", true));
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_unless_allowed() {
        for u in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://[::1]/",
            "https://169.254.169.254/latest",
            "https://[::ffff:7f00:1]/",
        ] {
            assert_eq!(
                check(u, &[]).await.map(|_| ()),
                Err(Refusal::Address),
                "{u}"
            );
        }
        let t = check("http://127.0.0.1:9/", &["127.0.0.1".into()])
            .await
            .expect("allow-listed");
        assert_eq!(t.addr, "127.0.0.1:9".parse().expect("an address"));
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac geheim
        assert_eq!(
            sign("geheim", 1_700_000_000, br#"{"a":1}"#),
            format!("v1={}", EXPECTED)
        );
    }

    const EXPECTED: &str = "c2f0a59f12d0bcd3933234d85083c03b99e970604203fd059a320436bb602adf";
}
