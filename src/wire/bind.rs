//! Listening sockets with an accept queue deep enough for a burst.
//!
//! `std::net::TcpListener::bind` asks for a queue of 128 connections. When every case of a run
//! notifies at once, more than 128 connections can wait for the accept loop of a busy runtime: the
//! kernel then drops the SYNs past the queue, and the sender's TCP stack tries again after 1 s, then
//! 3 s, so a notification that was sent arrives after the suite stopped waiting for it. The
//! listener, the doubles and the misbehaving targets all bind through here.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

/// Connections the kernel queues for an accept loop (Linux caps it at `net.core.somaxconn`, 4096).
pub const BACKLOG: i32 = 1024;

/// Binds `addr` (port 0: any free port) with [`BACKLOG`], non-blocking, ready for tokio or wiremock.
pub fn listen(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // A fixed CONFORMANCE_CALLBACK_BIND can be bound again while the last run's connections to it
    // are in TIME_WAIT; a port someone still listens on stays refused.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}
