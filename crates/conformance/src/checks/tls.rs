//! TLS of an https receiver, judged as ThousandEyes would judge it: the chain against public
//! roots, the name, the protocol versions and the validity period.
//!
//! These checks open their own TLS connections (no HTTP is sent on them): the sender's client
//! hides its handshake, and judging a certificate needs the chain the server presented even when
//! it does not verify. [`probe`] runs once before the other checks, because its result also
//! decides whether they run over a verified connection (see `run::run`).
//!
//! ThousandEyes does not document the trust store or the TLS versions of its webhook sender.
//! tesim assumes the public web PKI as Mozilla's root program defines it (the `webpki-roots`
//! set) and TLS 1.2 or 1.3; both are guesses, said so in `docs/checks.md`.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, RootCertStore};
use tesim_sender::{Target, TlsConfig};
use time::OffsetDateTime;

use super::{Ctx, Outcome};
use crate::report::{Exchange, Verdict};

/// Why the TLS checks of an http:// target are skipped.
const HTTP_TARGET: &str = "the target is http://: there is no TLS to check. ThousandEyes accepts http URLs (its webhook settings ask only for the final URL, reference 1.1), but notifications and credentials then cross the network in clear text: prefer https";

/// What rustls cannot offer, said wherever versions are reported.
const OLD_VERSIONS: &str = "TLS 1.0 and 1.1 are not probed: rustls, tesim's TLS library, does not implement them (RFC 8996 deprecates both)";

/// One TLS handshake: the versions offered, and what came of it.
#[derive(Debug)]
pub(crate) struct Handshake {
    /// `TLS 1.2 only`, `TLS 1.3 only` or `TLS 1.2 or 1.3`.
    pub(crate) offered: &'static str,
    /// The chain presented (leaf first) and the version negotiated, or why it failed.
    pub(crate) result: Result<(Vec<CertificateDer<'static>>, &'static str), String>,
    pub(crate) latency: Duration,
    /// TCP connected and the server answered in time (whether or not the handshake completed).
    reached: bool,
}

impl Handshake {
    fn exchange(&self, authority: &str) -> Exchange {
        let (request, error) = match &self.result {
            Ok((chain, version)) => (
                format!(
                    "TLS handshake with {authority}, offering {}: {version} negotiated, {} {} presented",
                    self.offered,
                    chain.len(),
                    if chain.len() == 1 {
                        "certificate"
                    } else {
                        "certificates"
                    }
                ),
                None,
            ),
            Err(why) => (
                format!("TLS handshake with {authority}, offering {}", self.offered),
                Some(why.clone()),
            ),
        };
        Exchange {
            request,
            status: None,
            location: None,
            latency_ms: self.latency.as_millis() as u64,
            error,
            sent: None,
            received: None,
        }
    }
}

/// What the TLS probe of an https target saw; read by the TE-TLS checks.
#[derive(Debug)]
pub(crate) struct TlsProbe {
    /// `host:port`.
    authority: String,
    /// The host as the certificate must name it (DNS name or IP address).
    server_name: ServerName<'static>,
    /// Offering every version tesim speaks: the chain the TE-TLS certificate checks judge.
    pub(crate) default: Handshake,
    tls12: Handshake,
    tls13: Handshake,
    /// The local trust settings (`--ca-cert`, `--insecure`).
    tls: TlsConfig,
}

impl TlsProbe {
    /// Whether a handshake completes at all (certificates accepted blindly).
    pub(crate) fn handshake_completes(&self) -> bool {
        self.default.result.is_ok()
    }

    fn chain(&self) -> Result<&[CertificateDer<'static>], Outcome> {
        match &self.default.result {
            Ok((chain, _)) if !chain.is_empty() => Ok(chain),
            Ok(_) => Err(Outcome::fail(
                "the server completed the handshake without presenting a certificate",
            )
            .with_exchanges([self.default.exchange(&self.authority)])),
            Err(why) => Err(Outcome::skip(format!(
                "no TLS handshake with {} completed, so there is no certificate to judge ({why}); see TE-TLS-003",
                self.authority
            ))
            .with_exchanges([self.default.exchange(&self.authority)])),
        }
    }
}

impl Outcome {
    fn with_exchanges(mut self, exchanges: impl IntoIterator<Item = Exchange>) -> Self {
        self.evidence.extend(exchanges);
        self
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

static BOTH: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
static ONLY_TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
static ONLY_TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// Handshakes with the target three times (every version, TLS 1.2 only, TLS 1.3 only),
/// accepting any certificate so that the chain can be judged afterwards.
pub(crate) async fn probe(target: &Target, tls: &TlsConfig, timeout: Duration) -> TlsProbe {
    let host = target.host().to_owned();
    let authority = target.authority();
    let server_name = match ServerName::try_from(host.clone()) {
        Ok(name) => name,
        // Unreachable for a parsed URL; a name that is no TLS name fails every handshake.
        Err(_) => ServerName::try_from("invalid.invalid").expect("a valid DNS name"),
    };
    let handshake = |offered, versions: &'static [&'static rustls::SupportedProtocolVersion]| {
        handshake(
            host.clone(),
            target.port(),
            server_name.clone(),
            offered,
            versions,
            timeout,
        )
    };
    let default = handshake("TLS 1.2 or 1.3", BOTH).await;
    // When TCP or the first handshake timed out, so would the others: one timeout, not three.
    let (tls12, tls13) = if default.reached {
        (
            handshake("TLS 1.2 only", ONLY_TLS12).await,
            handshake("TLS 1.3 only", ONLY_TLS13).await,
        )
    } else {
        let same = |offered| Handshake {
            offered,
            result: Err(format!(
                "not tried: the first handshake got nowhere ({})",
                default.result.as_ref().err().cloned().unwrap_or_default()
            )),
            latency: Duration::ZERO,
            reached: false,
        };
        (same("TLS 1.2 only"), same("TLS 1.3 only"))
    };
    TlsProbe {
        authority,
        server_name,
        default,
        tls12,
        tls13,
        tls: tls.clone(),
    }
}

async fn handshake(
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    offered: &'static str,
    versions: &'static [&'static rustls::SupportedProtocolVersion],
    timeout: Duration,
) -> Handshake {
    let started = Instant::now();
    let attempt = async {
        let provider = provider();
        let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(|err| (err.to_string(), false))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tesim_sender::AcceptAnyCertificate::new(
                provider,
            )))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|err| (format!("cannot connect: {err}"), false))?;
        let mut stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await
            .map_err(|err| (handshake_error(&err), true))?;
        let connection = stream.get_ref().1;
        let chain = connection
            .peer_certificates()
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        let version = match connection.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2",
            _ => "an unknown version",
        };
        // A polite close_notify: the receiver sees a clean end, not a reset.
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
        Ok((chain, version))
    };
    let (result, reached) = match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(done)) => (Ok(done), true),
        Ok(Err((why, reached))) => (Err(why), reached),
        Err(_) => (
            Err(format!("no handshake within {} ms", timeout.as_millis())),
            false,
        ),
    };
    Handshake {
        offered,
        result,
        latency: started.elapsed(),
        reached,
    }
}

/// The TLS library's words for a failed handshake, without the io wrapper.
fn handshake_error(err: &std::io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the server refused with the TLS alert {alert:?}")
        }
        Some(rustls::Error::InvalidMessage(_)) => {
            "the server does not answer with TLS (is the port an http:// one?)".to_owned()
        }
        Some(other) => other.to_string(),
        None if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".to_owned()
        }
        None => err.to_string(),
    }
}

/// Verifies the chain (not the name, not the time: other checks judge those) against `roots`.
fn chain_verifies(
    roots: RootCertStore,
    chain: &[CertificateDer<'static>],
    server_name: &ServerName<'static>,
    at: UnixTime,
) -> Result<(), rustls::Error> {
    if roots.is_empty() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|err| rustls::Error::General(err.to_string()))?;
    match verifier.verify_server_cert(&chain[0], &chain[1..], server_name, &[], at) {
        Ok(_) => Ok(()),
        // webpki checks the name after the chain: a name error means the chain is fine.
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => Ok(()),
        Err(err) => Err(err),
    }
}

/// The Mozilla set, as ThousandEyes' sender presumably trusts (a guess: it is not documented).
fn public_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots
}

/// This machine's trust store, read once per process.
fn native_roots() -> RootCertStore {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    let certs = ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs);
    let mut roots = RootCertStore::empty();
    let _ = roots.add_parsable_certificates(certs.iter().cloned());
    roots
}

/// The certificates of the `--ca-cert` files. Unreadable files are ignored here: the client
/// built before the probe has already refused them with a message.
fn given_cas(tls: &TlsConfig) -> Vec<CertificateDer<'static>> {
    tls.ca_certs
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .flat_map(|pem| {
            CertificateDer::pem_slice_iter(&pem)
                .filter_map(Result::ok)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Why a chain does not verify, in words that say what to look at.
fn chain_problem(err: &rustls::Error, chain: &[CertificateDer<'static>]) -> String {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) if chain.len() == 1 => {
            "the server presents a single certificate that no public CA issued (self-signed, or from a private CA)".to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the chain of {} certificates the server presents does not lead to a public root (a private CA, or an intermediate certificate missing from the chain)",
            chain.len()
        ),
        rustls::Error::InvalidCertificate(CertificateError::BadSignature) => {
            "a signature in the chain does not verify (a certificate was not issued by the next one)".to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if format!("{other:?}").contains("CaUsedAsEndEntity") =>
        {
            "the server presents a CA certificate as its own (what `openssl req -x509` makes by default), which no verifier accepts".to_owned()
        }
        other => format!("the chain does not verify: {other}"),
    }
}

/// The validity period of a certificate, read from its DER (RFC 5280 section 4.1).
fn validity(der: &[u8]) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (_, certificate, _) = tlv(der).filter(|(tag, _, _)| *tag == 0x30)?;
    let (_, tbs, _) = tlv(certificate).filter(|(tag, _, _)| *tag == 0x30)?;
    let mut rest = tbs;
    // version [0] EXPLICIT, optional
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    // serialNumber, signature, issuer
    for _ in 0..3 {
        rest = tlv(rest)?.2;
    }
    let (_, validity, _) = tlv(rest).filter(|(tag, _, _)| *tag == 0x30)?;
    let (tag, not_before, rest) = tlv(validity)?;
    let not_before = asn1_time(tag, not_before)?;
    let (tag, not_after, _) = tlv(rest)?;
    Some((not_before, asn1_time(tag, not_after)?))
}

/// One DER tag-length-value: (tag, contents, what follows).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |len, byte| (len << 8) | usize::from(*byte))
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// UTCTime (`YYMMDDHHMMSSZ`, tag 0x17) or GeneralizedTime (`YYYYMMDDHHMMSSZ`, tag 0x18).
fn asn1_time(tag: u8, text: &[u8]) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match (tag, text.len()) {
        (0x17, 12) => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            // RFC 5280 4.1.2.5.1: 50..99 are 19xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        (0x18, 14) => (text.get(..4)?.parse().ok()?, &text[4..]),
        _ => return None,
    };
    let field = |idx: usize| -> Option<u8> { rest.get(idx * 2..idx * 2 + 2)?.parse().ok() };
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(field(0)?).ok()?, field(1)?)
            .ok()?;
    let time = time::Time::from_hms(field(2)?, field(3)?, field(4)?).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
}

/// rustls lists presented names as `DnsName("a.example")` or `IpAddress(192.0.2.1)`; people
/// read `a.example` and `IP address 192.0.2.1`.
fn presented_name(name: &str) -> String {
    let unwrap = |prefix: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(|inner| inner.trim_matches('"').to_owned())
    };
    if let Some(dns) = unwrap("DnsName(") {
        dns
    } else if let Some(ip) = unwrap("IpAddress(") {
        format!("IP address {ip}")
    } else {
        name.to_owned()
    }
}

fn day(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A moment inside the leaf's validity period: the chain check judges trust, not time (the
/// validity check does), so an expired certificate is still judged on its issuer.
fn judging_time(leaf: &CertificateDer<'_>) -> UnixTime {
    let now = OffsetDateTime::now_utc();
    let at = match validity(leaf) {
        Some((not_before, not_after)) if now < not_before || now > not_after => {
            not_before + (not_after - not_before) / 2
        }
        _ => now,
    };
    UnixTime::since_unix_epoch(Duration::from_secs(at.unix_timestamp().max(0) as u64))
}

/// How a certificate that ThousandEyes would refuse is graded: FAIL, or WARN when `--insecure`
/// says the user knows (a local test).
fn refused(tls: &TlsConfig, message: String) -> Outcome {
    if tls.insecure {
        Outcome::new(
            Verdict::Warn,
            format!(
                "{message}; accepted here only because of --insecure: ThousandEyes will refuse it"
            ),
        )
    } else {
        Outcome::fail(message)
    }
}

impl Ctx<'_> {
    fn tls_probe(&self) -> Result<&TlsProbe, Outcome> {
        self.tls.as_ref().ok_or_else(|| Outcome::skip(HTTP_TARGET))
    }

    /// What the other checks' notes say when they ran without verifying the certificate.
    fn unverified_note(&self) -> &'static str {
        if self.unverified {
            "; the other checks ran over a connection that does not verify the certificate, so their verdicts are what ThousandEyes would see once it is fixed"
        } else {
            ""
        }
    }

    /// TE-TLS-001: the chain leads to a public root.
    pub(super) fn tls_chain(&self) -> Outcome {
        let probe = match self.tls_probe() {
            Ok(probe) => probe,
            Err(outcome) => return outcome,
        };
        let chain = match probe.chain() {
            Ok(chain) => chain,
            Err(outcome) => return outcome,
        };
        let evidence = [probe.default.exchange(&probe.authority)];
        let at = judging_time(&chain[0]);
        let public = chain_verifies(public_roots(), chain, &probe.server_name, at);
        let Err(public_err) = public else {
            return Outcome::pass(format!(
                "the chain of {} {} leads to a public root (the Mozilla set, as in webpki-roots)",
                chain.len(),
                if chain.len() == 1 {
                    "certificate"
                } else {
                    "certificates"
                }
            ))
            .with_exchanges(evidence);
        };
        let problem = chain_problem(&public_err, chain);
        let given = given_cas(&probe.tls);
        let mut given_roots = RootCertStore::empty();
        let _ = given_roots.add_parsable_certificates(given.iter().cloned());
        let local = if chain_verifies(native_roots(), chain, &probe.server_name, at).is_ok() {
            Some("this machine's trust store")
        } else if chain_verifies(given_roots, chain, &probe.server_name, at).is_ok() {
            Some("the CA given with --ca-cert")
        } else if given.contains(&chain[0]) {
            Some("the certificate pinned with --ca-cert")
        } else {
            None
        };
        let outcome = match local {
            Some(what) => Outcome::new(
                Verdict::Warn,
                format!(
                    "verifies here only thanks to {what}, but not against public roots: {problem}. ThousandEyes will refuse it (its trust store is not documented; tesim assumes public CAs only)"
                ),
            ),
            None => refused(
                &probe.tls,
                format!(
                    "{problem}: ThousandEyes will refuse every delivery{}",
                    self.unverified_note()
                ),
            ),
        };
        outcome.with_exchanges(evidence)
    }

    /// TE-TLS-002: the leaf names the target's host.
    pub(super) fn tls_name(&self) -> Outcome {
        let probe = match self.tls_probe() {
            Ok(probe) => probe,
            Err(outcome) => return outcome,
        };
        let chain = match probe.chain() {
            Ok(chain) => chain,
            Err(outcome) => return outcome,
        };
        let evidence = [probe.default.exchange(&probe.authority)];
        let host = self.http.target.host();
        let is_ip = matches!(probe.server_name, ServerName::IpAddress(_));
        let parsed = match rustls::server::ParsedCertificate::try_from(&chain[0]) {
            Ok(parsed) => parsed,
            Err(err) => {
                return Outcome::fail(format!("the server's certificate does not parse: {err}"))
                    .with_exchanges(evidence);
            }
        };
        let outcome = match rustls::client::verify_server_name(&parsed, &probe.server_name) {
            Ok(()) if is_ip => {
                Outcome::pass(format!("the certificate has an IP address SAN for {host}"))
            }
            Ok(()) => Outcome::pass(format!(
                "the certificate has a DNS SAN matching {host}, the name ThousandEyes sends as SNI"
            )),
            Err(err) => {
                let presented = match &err {
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext { presented, .. },
                    ) if !presented.is_empty() => format!(
                        "it names {}",
                        presented
                            .iter()
                            .map(|name| presented_name(name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext { .. },
                    ) => "it has no subject alternative name".to_owned(),
                    other => other.to_string(),
                };
                let need = if is_ip {
                    format!(
                        "the target is an IP address, so the certificate needs an IP address SAN {host} (a DNS SAN or a common name with that text does not count)"
                    )
                } else {
                    format!(
                        "ThousandEyes sends SNI {host} and requires a SAN matching it (reference 1.1)"
                    )
                };
                refused(
                    &probe.tls,
                    format!(
                        "the certificate is not valid for {host}: {presented}; {need}{}",
                        self.unverified_note()
                    ),
                )
            }
        };
        outcome.with_exchanges(evidence)
    }

    /// TE-TLS-003: TLS 1.2 or 1.3 is accepted; reports which.
    pub(super) fn tls_versions(&self) -> Outcome {
        let probe = match self.tls_probe() {
            Ok(probe) => probe,
            Err(outcome) => return outcome,
        };
        let evidence = [
            probe.tls12.exchange(&probe.authority),
            probe.tls13.exchange(&probe.authority),
        ];
        let accepted = |handshake: &Handshake| handshake.result.is_ok();
        let refusal =
            |handshake: &Handshake| handshake.result.as_ref().err().cloned().unwrap_or_default();
        let outcome = match (accepted(&probe.tls12), accepted(&probe.tls13)) {
            (true, true) => Outcome::pass(format!("accepts TLS 1.2 and TLS 1.3; {OLD_VERSIONS}")),
            (true, false) => Outcome::pass(format!(
                "accepts TLS 1.2 only (TLS 1.3 refused: {}); {OLD_VERSIONS}",
                refusal(&probe.tls13)
            )),
            (false, true) => Outcome::pass(format!(
                "accepts TLS 1.3 only (TLS 1.2 refused: {}); {OLD_VERSIONS}",
                refusal(&probe.tls12)
            )),
            (false, false) => Outcome::fail(format!(
                "accepts neither TLS 1.2 ({}) nor TLS 1.3 ({}); {OLD_VERSIONS}",
                refusal(&probe.tls12),
                refusal(&probe.tls13)
            )),
        };
        outcome.with_exchanges(evidence)
    }

    /// TE-TLS-004: the leaf is within its validity period.
    pub(super) fn tls_validity(&self) -> Outcome {
        let probe = match self.tls_probe() {
            Ok(probe) => probe,
            Err(outcome) => return outcome,
        };
        let chain = match probe.chain() {
            Ok(chain) => chain,
            Err(outcome) => return outcome,
        };
        let evidence = [probe.default.exchange(&probe.authority)];
        let Some((not_before, not_after)) = validity(&chain[0]) else {
            return Outcome::error(
                "cannot read the validity period of the server's certificate (tesim reads DER by hand; report this)",
            )
            .with_exchanges(evidence);
        };
        let now = OffsetDateTime::now_utc();
        let outcome = if now < not_before {
            refused(
                &probe.tls,
                format!(
                    "the certificate is not valid before {} (check the clock of the machine that issued it){}",
                    day(not_before),
                    self.unverified_note()
                ),
            )
        } else if now > not_after {
            refused(
                &probe.tls,
                format!(
                    "the certificate expired on {}: renew it{}",
                    day(not_after),
                    self.unverified_note()
                ),
            )
        } else {
            Outcome::pass(format!(
                "valid until {} ({} days left)",
                day(not_after),
                (not_after - now).whole_days()
            ))
        };
        outcome.with_exchanges(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_time_forms() {
        assert_eq!(
            asn1_time(0x17, b"491231235959Z").map(day).as_deref(),
            Some("2049-12-31T23:59:59Z")
        );
        assert_eq!(
            asn1_time(0x17, b"500101000000Z").map(day).as_deref(),
            Some("1950-01-01T00:00:00Z")
        );
        assert_eq!(
            asn1_time(0x18, b"20991231000000Z").map(day).as_deref(),
            Some("2099-12-31T00:00:00Z")
        );
        assert_eq!(asn1_time(0x18, b"2099123100000Z"), None);
        assert_eq!(asn1_time(0x17, b"991331000000Z"), None);
    }

    #[test]
    fn reads_the_validity_of_a_real_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["h.example".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 2, 29);
        params.not_after = rcgen::date_time_ymd(2051, 6, 30);
        let cert = params.self_signed(&key).unwrap();
        let (not_before, not_after) = validity(cert.der()).unwrap();
        assert_eq!(day(not_before), "2020-02-29T00:00:00Z");
        // After 2049, RFC 5280 wants GeneralizedTime: both forms are read.
        assert_eq!(day(not_after), "2051-06-30T00:00:00Z");
        // An expired leaf is judged at the middle of its life, a current one now.
        let mut expired = rcgen::CertificateParams::new(vec!["h.example".to_owned()]).unwrap();
        expired.not_before = rcgen::date_time_ymd(2001, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2003, 1, 1);
        let expired = expired.self_signed(&key).unwrap();
        let middle = time::macros::datetime!(2002-01-01 0:00 UTC);
        assert_eq!(
            judging_time(expired.der()).as_secs(),
            middle.unix_timestamp() as u64
        );
        let before = OffsetDateTime::now_utc().unix_timestamp() as u64;
        assert!(judging_time(cert.der()).as_secs() >= before);
    }

    #[test]
    fn presented_names_read_plainly() {
        assert_eq!(presented_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(
            presented_name("IpAddress(192.0.2.1)"),
            "IP address 192.0.2.1"
        );
        assert_eq!(presented_name("Other"), "Other");
    }

    #[test]
    fn tlv_refuses_truncated_input() {
        assert_eq!(tlv(&[0x30, 0x03, 1, 2]), None);
        assert_eq!(tlv(&[0x30, 0x82, 0x01]), None);
        assert_eq!(tlv(&[0x02, 0x01, 7, 9]), Some((0x02, &[7][..], &[9][..])));
        assert_eq!(validity(&[0x30, 0x00]), None);
        assert_eq!(validity(b"not a certificate"), None);
    }
}
