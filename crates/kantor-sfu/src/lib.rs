//! Kantor's SFU.
//!
//! - [`forward`]: the pure forwarding core (layer switching, numbering rewrites, keyframe rate
//!   limits, layer choice), tested packet by packet.
//! - [`room`]: a meeting's media on str0m (sans-IO): each participant has a publish and a
//!   subscribe connection; driven by `handle_*` inputs and drained by `poll`.
//! - [`speakers`]: loudest-N audio selection (which microphones are forwarded, and to whom)
//!   from the audio-level extension, with a window and hysteresis; tested on a fake clock.
//! - [`stun`]: just enough STUN parsing to route a first packet to its room by ICE ufrag.
//! - [`synthetic`]: a synthetic participant on str0m (generated simulcast video, audio with
//!   levels and DTX) for the room tests, the server's media tests and `kantor-bench`.

pub mod forward;
pub mod room;
pub mod speakers;
pub mod stun;
pub mod synthetic;

/// The str0m version the SFU is built on, for callers that handle its types.
pub use str0m;
