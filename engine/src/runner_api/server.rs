//! Starting and stopping a status API server on its own thread and tokio
//! runtime, so that serving never competes with the scheduler's runtime
//! and works from programs without one (SPEC R19, R23).

use super::log_capture::LogCapture;
use super::routes::{routes, ApiState};
use super::source::{ApiSource, RunnerSlot};
use super::StatusToken;
use crate::runner::LocalRunner;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::watch;
use tracing::Level;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The host name does not resolve to an address.
    #[error("cannot use '{host}' as the status API address: {reason}")]
    Resolve {
        /// The host given.
        host: String,
        /// Why.
        reason: String,
    },
    /// The address could not be bound (in use, not allowed, not local).
    #[error("cannot serve the status API on {addr}: {reason}; pick another port (0 picks a free one) or host")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The server's thread or runtime could not start.
    #[error("cannot start the status API: {0}")]
    Start(String),
}

/// A running status API server. Dropping it (or [`ApiServer::shutdown`])
/// stops it: open event streams end and the thread is joined.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    source: ApiSource,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ApiServer {
    /// The address actually bound (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL of the API and of the web UI.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Attaches `runner` (or detaches it with `None`) when serving a runner
    /// in this process; does nothing in relay mode.
    pub fn set_runner(&self, runner: Option<Arc<LocalRunner>>) {
        if let ApiSource::Local(slot) = &self.source {
            slot.set(runner);
        }
    }

    /// Stops the server and waits for its thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// The first address `host:port` resolves to.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, ApiError> {
    let host_part = host.trim_start_matches('[').trim_end_matches(']');
    (host_part, port)
        .to_socket_addrs()
        .map_err(|e| ApiError::Resolve {
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| ApiError::Resolve {
            host: host.to_string(),
            reason: "it resolves to no address".into(),
        })
}

/// Feeds `capture` from every log record at `level` or above, when the
/// program has not set a global `tracing` subscriber yet.
fn install_capture(capture: &LogCapture, level: Level) {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let _ = tracing_subscriber::registry()
        .with(capture.clone().with_filter(LevelFilter::from_level(level)))
        .try_init();
}

/// Where and how a status API server listens: its address, its own log
/// lines, and the token it requires ([`serve_api`]).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    host: String,
    port: u16,
    log_level: Level,
    log_capture: Option<LogCapture>,
    token: Option<StatusToken>,
}

impl ServeOptions {
    /// Listening on `host:port` (port 0 picks a free one), logging at WARN,
    /// without a log capture or a token.
    pub fn new(host: &str, port: u16) -> Self {
        ServeOptions {
            host: host.to_string(),
            port,
            log_level: Level::WARN,
            log_capture: None,
            token: None,
        }
    }

    /// The least severe level of the server's log lines and of the records
    /// fed to `capture` (served at `GET /logs`); see
    /// [`serve_runner_api_in_thread`].
    pub fn log(mut self, level: Level, capture: Option<LogCapture>) -> Self {
        self.log_level = level;
        self.log_capture = capture;
        self
    }

    /// Requires `token` on every route but `/healthz` (`None`: open).
    pub fn token(mut self, token: Option<StatusToken>) -> Self {
        self.token = token;
        self
    }
}

/// Starts serving `source` in a background thread as `options` say;
/// returns once the address is bound.
pub fn serve_api(source: ApiSource, options: ServeOptions) -> Result<ApiServer, ApiError> {
    let ServeOptions {
        host,
        port,
        log_level,
        log_capture,
        token,
    } = options;
    let host = host.as_str();
    let addr = resolve(host, port)?;
    if let Some(capture) = &log_capture {
        install_capture(capture, log_level);
    }
    let (stop, stopping) = watch::channel(false);
    let protected = token.is_some();
    let state = ApiState {
        source: source.clone(),
        capture: log_capture,
        stopping: stopping.clone(),
        token,
    };
    let log_requests = log_level >= Level::DEBUG;
    let (bound_tx, bound_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("flowtoy-status-api".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("flowtoy-status-api")
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = bound_tx.send(Err(ApiError::Start(e.to_string())));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut stopping = stopping;
                let shutdown = async move {
                    let _ = stopping.wait_for(|s| *s).await;
                };
                let listener = match tokio::net::TcpListener::bind(addr).await {
                    Ok(listener) => listener,
                    Err(e) => {
                        let reason = e.to_string();
                        let _ = bound_tx.send(Err(ApiError::Bind { addr, reason }));
                        return;
                    }
                };
                let bound = match listener.local_addr() {
                    Ok(bound) => bound,
                    Err(e) => {
                        let _ = bound_tx.send(Err(ApiError::Start(e.to_string())));
                        return;
                    }
                };
                let _ = bound_tx.send(Ok(bound));
                // Built once the port is known: it names the page's cookie.
                let filter = routes(state, log_requests, bound.port());
                warp::serve(filter)
                    .incoming(listener)
                    .graceful(shutdown)
                    .run()
                    .await;
            });
        })
        .map_err(|e| ApiError::Start(e.to_string()))?;
    let bound = match bound_rx.recv() {
        Ok(Ok(bound)) => bound,
        Ok(Err(e)) => {
            let _ = thread.join();
            return Err(e);
        }
        Err(_) => {
            let _ = thread.join();
            return Err(ApiError::Start("the server thread ended early".into()));
        }
    };
    if !bound.ip().is_loopback() && !protected {
        tracing::warn!(
            "the status API listens on {bound}, which is not a loopback address: \
             step outputs and status become visible to the network"
        );
    }
    if log_level >= Level::INFO {
        tracing::info!("status API and web UI at http://{bound}");
    }
    Ok(ApiServer {
        addr: bound,
        source,
        stop,
        thread: Some(thread),
    })
}

/// Starts serving `source` on `host:port` in a background thread, without
/// a token; returns once the address is bound. See
/// [`serve_runner_api_in_thread`] for the meaning of `log_level` and
/// `log_capture`, and [`serve_api`] for a token.
pub fn serve_api_in_thread(
    source: ApiSource,
    host: &str,
    port: u16,
    log_level: Level,
    log_capture: Option<LogCapture>,
) -> Result<ApiServer, ApiError> {
    serve_api(
        source,
        ServeOptions::new(host, port).log(log_level, log_capture),
    )
}

/// Starts the status API and web UI for `runner` in a background thread
/// (SPEC R23) and returns once it listens.
///
/// - `runner`: the runner to report on, or `None` (then `GET /status`
///   answers `{"status": "no-runner"}` until [`ApiServer::set_runner`]);
/// - `host`, `port`: where to listen; port 0 picks a free port, and
///   [`ApiServer::addr`] tells which. A non-loopback host logs a warning;
/// - `log_level`: the least severe level of the server's own log lines
///   (its address at INFO, each request at DEBUG) and of the records fed to
///   `log_capture`;
/// - `log_capture`: records served at `GET /logs`. When the program has no
///   global `tracing` subscriber yet, one feeding this capture is installed;
///   a program with its own subscriber adds the capture to it as a layer.
///
/// ```no_run
/// use flowtoy::{config, runner::LocalRunner, runner_api};
/// use std::sync::Arc;
///
/// let runner = Arc::new(LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?));
/// let capture = runner_api::LogCapture::new(100);
/// let server = runner_api::serve_runner_api_in_thread(
///     Some(Arc::clone(&runner)), "127.0.0.1", 0, tracing::Level::INFO, Some(capture.clone()),
/// )?;
/// println!("status at {}/status", server.url());
/// runner.run()?;
/// server.shutdown();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn serve_runner_api_in_thread(
    runner: impl Into<Option<Arc<LocalRunner>>>,
    host: &str,
    port: u16,
    log_level: Level,
    log_capture: Option<LogCapture>,
) -> Result<ApiServer, ApiError> {
    serve_api_in_thread(
        ApiSource::Local(RunnerSlot::new(runner.into())),
        host,
        port,
        log_level,
        log_capture,
    )
}
