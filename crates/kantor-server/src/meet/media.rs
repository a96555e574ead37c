//! The thin UDP driver: one socket for every meeting on this node. A receive task routes each
//! datagram to its room — by the remote address once known, else by the ICE ufrag in a STUN
//! request's USERNAME — and rooms send through the same socket. A datagram for no room is
//! dropped and counted; it never reaches a room.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kantor_core::ids::MeetingId;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::config::Config;

/// A datagram for a room.
pub struct Packet {
    pub source: SocketAddr,
    pub at: Instant,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Routes {
    by_ufrag: HashMap<String, (MeetingId, mpsc::Sender<Packet>)>,
    by_addr: HashMap<SocketAddr, (MeetingId, mpsc::Sender<Packet>)>,
}

pub struct Media {
    socket: Arc<UdpSocket>,
    /// The address announced in ICE candidates (and given to str0m as the destination).
    pub candidate: SocketAddr,
    routes: Mutex<Routes>,
    /// Datagrams that belonged to no room (unknown address, no known ufrag).
    pub dropped: AtomicU64,
    /// Datagrams dropped because their room's queue was full (the room is behind).
    pub queue_full: AtomicU64,
    pub received: AtomicU64,
    pub sent: AtomicU64,
    /// Datagrams the socket refused (a full send buffer, an unreachable address).
    pub send_failed: AtomicU64,
}

impl Media {
    /// Binds the media port from `config` and starts receiving.
    pub fn start(config: &Config) -> anyhow::Result<Arc<Media>> {
        let bind = SocketAddr::new(config.media_bind, config.media_port);
        let std_socket = StdUdpSocket::bind(bind).map_err(|e| {
            anyhow::anyhow!("cannot bind the media port {bind} (KANTOR_MEDIA_PORT): {e}")
        })?;
        std_socket.set_nonblocking(true)?;
        let local = std_socket.local_addr()?;
        let ip = match (config.media_public_ip, config.media_bind) {
            (Some(ip), _) => ip,
            (None, ip) if !ip.is_unspecified() => ip,
            (None, _) => primary_ip().unwrap_or(IpAddr::from([127, 0, 0, 1])),
        };
        let candidate = SocketAddr::new(ip, local.port());
        let socket = Arc::new(UdpSocket::from_std(std_socket)?);
        let media = Arc::new(Media {
            socket,
            candidate,
            routes: Mutex::default(),
            dropped: AtomicU64::new(0),
            queue_full: AtomicU64::new(0),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            send_failed: AtomicU64::new(0),
        });
        tokio::spawn(receive_loop(Arc::clone(&media)));
        tracing::info!(%local, %candidate, "media port open");
        Ok(media)
    }

    pub fn local_port(&self) -> u16 {
        self.candidate.port()
    }

    /// Sends without waiting: a full socket buffer drops the datagram, as the network would.
    pub fn send(&self, to: SocketAddr, data: &[u8]) {
        match self.socket.try_send_to(data, to) {
            Ok(_) => {
                self.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.send_failed.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(error = %e, "media datagram not sent");
            }
        }
    }

    pub fn add_ufrag(&self, ufrag: String, meeting: MeetingId, tx: mpsc::Sender<Packet>) {
        self.routes().by_ufrag.insert(ufrag, (meeting, tx));
    }

    pub fn remove_ufrag(&self, ufrag: &str) {
        self.routes().by_ufrag.remove(ufrag);
    }

    pub fn remove_addr(&self, addr: SocketAddr) {
        self.routes().by_addr.remove(&addr);
    }

    /// Forgets every route of a room (it closed).
    pub fn remove_room(&self, meeting: MeetingId) {
        let mut r = self.routes();
        r.by_ufrag.retain(|_, (m, _)| *m != meeting);
        r.by_addr.retain(|_, (m, _)| *m != meeting);
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn route(&self, source: SocketAddr, data: &[u8]) -> Option<mpsc::Sender<Packet>> {
        let mut r = self.routes();
        if let Some(ufrag) = kantor_sfu::stun::local_ufrag(data) {
            if let Some((m, tx)) = r.by_ufrag.get(ufrag).cloned() {
                r.by_addr.insert(source, (m, tx.clone()));
                return Some(tx);
            }
        }
        r.by_addr.get(&source).map(|(_, tx)| tx.clone())
    }
}

async fn receive_loop(media: Arc<Media>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, source) = match media.socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) => {
                // ICMP port unreachable from a vanished peer shows up here on Linux; keep going.
                tracing::trace!(error = %e, "media receive error");
                continue;
            }
        };
        media.received.fetch_add(1, Ordering::Relaxed);
        let data = &buf[..n];
        let Some(tx) = media.route(source, data) else {
            media.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let packet = Packet {
            source,
            at: Instant::now(),
            data: data.to_vec(),
        };
        if tx.try_send(packet).is_err() {
            // The room is behind (or gone): drop, as a congested network would.
            media.queue_full.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The address this machine uses to reach the outside, found without sending anything.
fn primary_ip() -> Option<IpAddr> {
    let s = StdUdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}
