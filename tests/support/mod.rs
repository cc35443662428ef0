//! A tiny HTTP/1.1 server on 127.0.0.1:0 for the tests: answers `GET /ping`
//! with 200 and `POST /invocations` as a [`Behaviour`] says (a delay, a
//! status, a reset, silence). Keep-alive, Content-Length bodies only.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod moto;

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

/// Starts a server on the current runtime.
pub async fn start(behaviour: Behaviour) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let counter = requests.clone();
    let slots = Arc::new(tokio::sync::Semaphore::new(match &behaviour {
        Behaviour::Workers { workers, .. } => *workers,
        _ => 1,
    }));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let behaviour = behaviour.clone();
            let counter = counter.clone();
            let slots = slots.clone();
            tokio::spawn(async move {
                let _ = serve(stream, behaviour, counter, slots).await;
            });
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

async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..end + 4 + len);
            return Ok(Some(head));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn respond(stream: &mut TcpStream, status: u16) -> std::io::Result<()> {
    let body = b"{\"ok\":true}";
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await
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

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    counter: Arc<AtomicU64>,
    slots: Arc<tokio::sync::Semaphore>,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    while let Some(head) = read_request(&mut stream, &mut buf).await? {
        if head.starts_with("GET /ping") {
            respond(&mut stream, 200).await?;
            continue;
        }
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match &behaviour {
            Behaviour::Delay(d) => {
                precise_sleep(*d).await;
                respond(&mut stream, 200).await?;
            }
            Behaviour::Status(s) => respond(&mut stream, *s).await?,
            Behaviour::Statuses(list) => {
                respond(&mut stream, list[n as usize % list.len()]).await?
            }
            Behaviour::Reset => {
                // A zero linger makes close send RST; with a zero timeout it
                // cannot block, which is what the deprecation warns about.
                #[allow(deprecated)]
                stream.set_linger(Some(Duration::ZERO))?;
                return Ok(());
            }
            Behaviour::Silent => {
                std::future::pending::<()>().await;
            }
            Behaviour::StallOnce { delay, nth, stall } => {
                precise_sleep(if n == *nth { *stall } else { *delay }).await;
                respond(&mut stream, 200).await?;
            }
            Behaviour::Workers { service, .. } => {
                let permit = slots.acquire().await.unwrap();
                precise_sleep(*service).await;
                drop(permit);
                respond(&mut stream, 200).await?;
            }
        }
    }
    Ok(())
}
