//! A tiny HTTP/1.1 server on 127.0.0.1:0 for the tests: answers `GET /ping`
//! with 200 and `POST /invocations` as a [`Behaviour`] says (a delay, a
//! status, a reset, silence). hyper does the HTTP (keep-alive, any body
//! framing); this file only decides what each request gets.

#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};

pub mod moto;
pub mod obs_ep;
pub mod throttle;

#[derive(Clone)]
pub enum Behaviour {
    /// 200 after the delay.
    Delay(Duration),
    /// Answer with this status at once.
    Status(u16),
    /// Cycle through these statuses, one per request.
    Statuses(Vec<u16>),
    /// Close the connection with a TCP reset instead of answering.
    Reset,
    /// Read the request and never answer.
    Silent,
    /// 200 after `delay`, except request number `nth` (0-based), which
    /// takes `stall`.
    StallOnce {
        delay: Duration,
        nth: u64,
        stall: Duration,
    },
    /// A model server with `workers` slots, each request taking `service`;
    /// requests beyond the slots queue (a known capacity of
    /// workers / service requests per second).
    Workers { workers: usize, service: Duration },
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What every connection of one server shares.
struct Shared {
    behaviour: Behaviour,
    /// Counts `/invocations` requests (not pings): the request number
    /// `Statuses` and `StallOnce` go by.
    counter: Arc<AtomicU64>,
    /// The `Workers` slots; one server-wide pool, as in a model server.
    slots: Semaphore,
}

/// Starts a server on the current runtime.
pub async fn start(behaviour: Behaviour) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let shared = Arc::new(Shared {
        slots: Semaphore::new(match &behaviour {
            Behaviour::Workers { workers, .. } => *workers,
            _ => 1,
        }),
        behaviour,
        counter: requests.clone(),
    });
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(stream, shared.clone()));
        }
    });
    TestServer {
        addr,
        requests,
        task,
    }
}

/// Starts a server on its own thread and runtime, for tests whose runtime
/// is the one under test (or a child process).
pub fn start_in_thread(behaviour: Behaviour) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = start(behaviour).await;
            tx.send(server.addr).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// Serves one connection until the client closes it, or until a `Reset`
/// request asks for the connection to be torn down.
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let reset = Arc::new(Notify::new());
    let service = {
        let reset = reset.clone();
        hyper::service::service_fn(move |req| answer(req, shared.clone(), reset.clone()))
    };
    let mut conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = &mut conn => {}
        () = reset.notified() => {
            // Take the socket back from hyper so that closing it sends RST,
            // not FIN: a zero linger makes close abort the connection, and
            // with a zero timeout it cannot block, which is what the
            // deprecation warns about.
            let stream = conn.into_parts().io.into_inner();
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}

/// One request's answer, as the server's [`Behaviour`] says.
async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    reset: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let ping = req.method() == Method::GET && req.uri().path() == "/ping";
    // The whole request is read before answering (or not answering), as a
    // model server would; a body cut short just ends the request.
    let _ = req.into_body().collect().await;
    if ping {
        return Ok(respond(200));
    }
    let n = shared.counter.fetch_add(1, Ordering::SeqCst);
    match &shared.behaviour {
        Behaviour::Delay(d) => precise_sleep(*d).await,
        Behaviour::Status(s) => return Ok(respond(*s)),
        Behaviour::Statuses(list) => return Ok(respond(list[n as usize % list.len()])),
        Behaviour::Reset => {
            // `notify_one` keeps the permit if `serve` is not waiting yet.
            reset.notify_one();
            std::future::pending::<()>().await;
        }
        Behaviour::Silent => std::future::pending::<()>().await,
        Behaviour::StallOnce { delay, nth, stall } => {
            precise_sleep(if n == *nth { *stall } else { *delay }).await
        }
        Behaviour::Workers { service, .. } => {
            let permit = shared.slots.acquire().await.unwrap();
            precise_sleep(*service).await;
            drop(permit);
        }
    }
    Ok(respond(200))
}

fn respond(status: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"{\"ok\":true}")));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Sleeps to within ~0.1 ms: tokio's timer rounds up to the next
/// millisecond, which would blur latency assertions.
async fn precise_sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    tokio::task::spawn_blocking(move || std::thread::sleep(d))
        .await
        .unwrap();
}
