//! Opening connections: TCP, then TLS for https, with a timeout over both.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::{DeliveryError, Detail, ErrorKind, TimeoutPhase, TlsProblem};

/// Which certificates to trust for https targets.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Extra CA certificates (PEM files) trusted on top of the system and webpki roots, for
    /// receivers with a private CA (`--ca-cert FILE`).
    pub ca_certs: Vec<PathBuf>,
    /// Accept any server certificate (`--insecure`). For local tests only: the caller must
    /// warn loudly, since the real service always verifies.
    pub insecure: bool,
}

/// Why the TLS settings could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// A CA file cannot be read.
    #[error("cannot read CA certificate file {path}; check the path")]
    Read {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// A CA file holds no PEM certificate.
    #[error(
        "{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file with the CA certificate"
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate in a CA file is not usable as a trust anchor.
    #[error(
        "{path}: certificate is not usable as a trust anchor ({reason}); give the CA certificate or the server's own certificate, not its key"
    )]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        reason: String,
    },
}

/// The rustls client configuration for the given settings: webpki roots, the system's native
/// roots and any extra CA files; HTTP/1.1 over ALPN; ring provider.
pub(crate) fn rustls_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions");
    let mut config = if tls.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let _ = roots.add_parsable_certificates(native_roots().iter().cloned());
        let mut pinned = Vec::new();
        for path in &tls.ca_certs {
            for cert in read_ca_file(path)? {
                roots
                    .add(cert.clone())
                    .map_err(|source| TlsConfigError::BadCertificate {
                        path: path.clone(),
                        reason: source.to_string(),
                    })?;
                pinned.push(cert);
            }
        }
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|source| TlsConfigError::BadCertificate {
            path: tls.ca_certs.first().cloned().unwrap_or_default(),
            reason: source.to_string(),
        })?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinningVerifier { webpki, pinned }))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The system's trusted certificates, read once per process (clients are built often, by the
/// conformance checker for one). Unreadable ones are skipped: webpki roots and `--ca-cert`
/// remain.
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: std::sync::OnceLock<Vec<CertificateDer<'static>>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let pem = std::fs::read(path).map_err(|source| TlsConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The standard web PKI verification, plus pinning: a server certificate that is exactly one
/// of the certificates given as trusted (`--ca-cert`) is accepted as an end entity when its
/// names match, even if it is marked as a CA. `openssl req -x509` marks self-signed
/// certificates CA:TRUE by default, and webpki refuses a CA as an end entity; users who pass
/// the very certificate the server presents mean to trust it.
#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(err) if self.pinned.iter().any(|pinned| pinned == end_entity) => {
                // Pinned: the name must still match (ThousandEyes checks it), the chain does not
                // matter.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name).map_err(|name_err| {
                    if matches!(
                        name_err,
                        rustls::Error::InvalidCertificate(
                            rustls::CertificateError::NotValidForName
                                | rustls::CertificateError::NotValidForNameContext { .. }
                        )
                    ) {
                        name_err
                    } else {
                        err
                    }
                })?;
                Ok(ServerCertVerified::assertion())
            }
            Err(err) => Err(err),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `--insecure`: accepts any certificate, but still checks handshake signatures so the TLS
/// session itself is sound. Public for the conformance checker, which judges the chain itself
/// after such a handshake.
#[derive(Debug)]
pub struct AcceptAnyCertificate {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl AcceptAnyCertificate {
    /// A verifier that checks signatures with `provider`'s algorithms.
    pub fn new(provider: Arc<rustls::crypto::CryptoProvider>) -> Self {
        Self { provider }
    }
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A plain or TLS connection that checks the answer starts like HTTP/1.x.
///
/// A receiver port that speaks another protocol (SSH, SMTP, a TLS port hit with http://)
/// would otherwise surface as hyper's "invalid HTTP version parsed"; this check turns it into
/// an error that shows what came back.
#[derive(Debug)]
pub(crate) struct Stream {
    io: Io,
    /// How many bytes of `HTTP/` have been seen; 5 once checked.
    http_prefix_seen: usize,
}

#[derive(Debug)]
enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

const HTTP_PREFIX: &[u8] = b"HTTP/";

/// The first bytes of an answer that is not HTTP, escaped for printing.
#[derive(Debug)]
pub(crate) struct NotHttp(pub(crate) String);

impl std::fmt::Display for NotHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the answer is not HTTP: it starts with \"{}\"", self.0)
    }
}

impl std::error::Error for NotHttp {}

/// `bytes` with everything but printable ASCII escaped (`\x1b`, `\r`, `\n`).
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|byte| std::ascii::escape_default(*byte))
        .map(char::from)
        .collect()
}

impl Stream {
    fn plain(tcp: TcpStream) -> Stream {
        Stream {
            io: Io::Plain(tcp),
            http_prefix_seen: 0,
        }
    }

    fn tls(tls: TlsStream<TcpStream>) -> Stream {
        Stream {
            io: Io::Tls(Box::new(tls)),
            http_prefix_seen: 0,
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = match &mut this.io {
            Io::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Io::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        };
        if this.http_prefix_seen < HTTP_PREFIX.len() {
            if let Poll::Ready(Ok(())) = &result {
                check_http_prefix(&mut this.http_prefix_seen, &buf.filled()[before..])?;
            }
        }
        result
    }
}

/// Checks that the bytes of an answer read so far start like HTTP/1.x: `seen` is how many
/// bytes of `HTTP/` earlier reads had (5 once checked), `new` what the last read added.
pub(crate) fn check_http_prefix(seen: &mut usize, new: &[u8]) -> io::Result<()> {
    if *seen >= HTTP_PREFIX.len() {
        return Ok(());
    }
    let n = new.len().min(HTTP_PREFIX.len() - *seen);
    if new[..n] != HTTP_PREFIX[*seen..*seen + n] {
        let shown = &new[..new.len().min(32)];
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            NotHttp(escape_bytes(shown)),
        ));
    }
    *seen += n;
    Ok(())
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Io::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Io::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Io::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Io::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(stream) => stream.is_write_vectored(),
            Io::Tls(stream) => stream.is_write_vectored(),
        }
    }
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// Opens TCP (+ TLS) connections to a URI's authority.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: TlsConnector,
    connect_timeout: Duration,
}

impl Connector {
    pub(crate) fn new(tls: rustls::ClientConfig, connect_timeout: Duration) -> Self {
        Connector {
            tls: TlsConnector::from(Arc::new(tls)),
            connect_timeout,
        }
    }

    /// Connects to `uri`'s host and port, TLS for https; the whole handshake is bounded by the
    /// connect timeout.
    pub(crate) async fn connect(&self, uri: &Uri) -> Result<Stream, ConnectError> {
        let Endpoint {
            https,
            host,
            port,
            authority,
        } = Endpoint::of(uri);
        // One budget for TCP and TLS together, but a timeout names the phase it struck in: a
        // port that accepts TCP and never answers the handshake is a different fault from a
        // host that does not answer at all.
        let deadline = tokio::time::Instant::now() + self.connect_timeout;
        let timed_out = |phase| ConnectError {
            kind: ConnectErrorKind::Timeout(phase, self.connect_timeout),
            authority: authority.clone(),
            source: None,
        };
        let tcp =
            match tokio::time::timeout_at(deadline, connect_tcp(&host, port, &authority)).await {
                Ok(result) => result?,
                Err(_) => return Err(timed_out(TimeoutPhase::Connect)),
            };
        if !https {
            return Ok(Stream::plain(tcp));
        }
        let server_name = ServerName::try_from(host.clone()).map_err(|_| ConnectError {
            kind: ConnectErrorKind::Resolve,
            authority: authority.clone(),
            source: Some(format!("`{host}` is not a valid TLS server name").into()),
        })?;
        match tokio::time::timeout_at(deadline, self.tls.connect(server_name, tcp)).await {
            Ok(Ok(tls)) => Ok(Stream::tls(tls)),
            Ok(Err(source)) => Err(ConnectError {
                kind: ConnectErrorKind::Tls {
                    host: host.clone(),
                    problem: tls_problem(&source),
                },
                authority: authority.clone(),
                source: Some(Box::new(source)),
            }),
            Err(_) => Err(timed_out(TimeoutPhase::TlsHandshake)),
        }
    }
}

/// Where a URI's requests go: host, port (the scheme's default if none), and `host:port` as
/// errors show it.
pub(crate) struct Endpoint {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) authority: String,
}

impl Endpoint {
    pub(crate) fn of(uri: &Uri) -> Endpoint {
        let https = uri.scheme_str() == Some("https");
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = uri
            .authority()
            .map(|authority| authority.to_string())
            .unwrap_or_default();
        let authority = if uri.port_u16().is_some() {
            authority
        } else {
            format!("{authority}:{port}")
        };
        Endpoint {
            https,
            host,
            port,
            authority,
        }
    }
}

/// The addresses to try, in order: the host itself if it is an IP address, else what the
/// resolver says.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    authority: &str,
) -> Result<Vec<SocketAddr>, ConnectError> {
    Ok(match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|source| ConnectError {
                kind: ConnectErrorKind::Resolve,
                authority: authority.to_owned(),
                source: Some(Box::new(source)),
            })?
            .collect(),
    })
}

async fn connect_tcp(host: &str, port: u16, authority: &str) -> Result<TcpStream, ConnectError> {
    let addrs = resolve(host, port, authority).await?;
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // Small requests: send them now rather than wait for Nagle.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(err) => last_error = Some(err),
        }
    }
    Err(ConnectError::tcp(authority, last_error))
}

fn tls_problem(error: &io::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    let Some(rustls_error) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match error.kind() {
            // The peer closed or sent garbage instead of a ServerHello.
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => TlsProblem::NotTls,
            _ => TlsProblem::Other(error.to_string()),
        };
    };
    match rustls_error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature => TlsProblem::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::NotValidForName,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsProblem::Expired,
            // webpki's CaUsedAsEndEntity reaches rustls as an opaque `Other`.
            C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                TlsProblem::CaUsedAsEndEntity
            }
            other => TlsProblem::Certificate(other.to_string()),
        },
        rustls::Error::InvalidMessage(_) => TlsProblem::NotTls,
        other => TlsProblem::Other(other.to_string()),
    }
}

#[derive(Debug)]
pub(crate) enum ConnectErrorKind {
    Resolve,
    Refused,
    Other,
    Timeout(TimeoutPhase, Duration),
    Tls { host: String, problem: TlsProblem },
}

/// A failed connect, carried through hyper-util's error so [`crate::Client`] can classify it.
#[derive(Debug)]
pub(crate) struct ConnectError {
    kind: ConnectErrorKind,
    authority: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ConnectErrorKind::Resolve => write!(f, "cannot resolve {}", self.authority),
            ConnectErrorKind::Refused => write!(f, "connection refused by {}", self.authority),
            ConnectErrorKind::Other => write!(f, "cannot connect to {}", self.authority),
            ConnectErrorKind::Timeout(TimeoutPhase::TlsHandshake, after) => {
                write!(
                    f,
                    "TLS handshake with {} timed out after {after:?}",
                    self.authority
                )
            }
            ConnectErrorKind::Timeout(_, after) => {
                write!(f, "no connection to {} within {after:?}", self.authority)
            }
            ConnectErrorKind::Tls { host, .. } => write!(f, "TLS handshake with {host} failed"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|source| source.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl ConnectError {
    /// No TCP connection to `authority`: `last_error` is what the last address tried gave.
    pub(crate) fn tcp(authority: &str, last_error: Option<io::Error>) -> ConnectError {
        let source = last_error.unwrap_or_else(|| io::Error::other("the host has no address"));
        let kind = if source.kind() == io::ErrorKind::ConnectionRefused {
            ConnectErrorKind::Refused
        } else {
            ConnectErrorKind::Other
        };
        ConnectError {
            kind,
            authority: authority.to_owned(),
            source: Some(Box::new(source)),
        }
    }

    /// No TCP connection to `authority` within the connect timeout `after`.
    pub(crate) fn tcp_timeout(authority: &str, after: Duration) -> ConnectError {
        ConnectError {
            kind: ConnectErrorKind::Timeout(TimeoutPhase::Connect, after),
            authority: authority.to_owned(),
            source: None,
        }
    }

    /// The delivery-error kind and detail this connect failure maps to.
    pub(crate) fn kind_detail(&self) -> (ErrorKind, Detail) {
        let authority = self.authority.clone();
        match &self.kind {
            ConnectErrorKind::Resolve => (
                ErrorKind::Connect,
                Detail::Connect {
                    authority,
                    refused: false,
                    resolve: true,
                },
            ),
            ConnectErrorKind::Refused => (
                ErrorKind::Connect,
                Detail::Connect {
                    authority,
                    refused: true,
                    resolve: false,
                },
            ),
            ConnectErrorKind::Other => (
                ErrorKind::Connect,
                Detail::Connect {
                    authority,
                    refused: false,
                    resolve: false,
                },
            ),
            ConnectErrorKind::Timeout(phase, after) => (
                ErrorKind::Timeout,
                Detail::Timeout {
                    phase: *phase,
                    after: *after,
                },
            ),
            ConnectErrorKind::Tls { host, problem } => (
                ErrorKind::Tls,
                Detail::Tls {
                    host: host.clone(),
                    problem: problem.clone(),
                },
            ),
        }
    }

    /// Turns this into the delivery error for `url`.
    pub(crate) fn into_delivery_error(self, url: Arc<str>) -> DeliveryError {
        let (kind, detail) = self.kind_detail();
        DeliveryError::new(kind, url, detail, self.source)
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = self.clone();
        Box::pin(async move { connector.connect(&uri).await.map(TokioIo::new) })
    }
}
