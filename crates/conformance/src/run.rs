//! Running the catalogue against a receiver: builds the client and the context, runs the
//! selected checks one after the other and assembles the [`Report`].

use std::time::Instant;

use tesim_sender::{Auth, Authenticator, Client, ClientConfig, Target, TlsConfig};

use crate::catalogue::Level;
use crate::checks::{Ctx, tls_probe};
use crate::config::CheckConfig;
use crate::errors::CheckError;
use crate::http::Http;
use crate::payloads::Ids;
use crate::report::{CheckResult, REPORT_SCHEMA, Report, Verdict};
use crate::selection::select;

/// Decodes `%XX` escapes; `None` when there are none (or the result is not UTF-8).
fn decoded_form(url: &str) -> Option<String> {
    let bytes = url.as_bytes();
    let has_escape = bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    if !has_escape {
        return None;
    }
    percent_encoding::percent_decode_str(url)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

pub(crate) fn auth_name(auth: &Auth) -> &'static str {
    match auth {
        Auth::None => "none",
        Auth::Basic { .. } => "basic",
        Auth::Bearer(_) => "bearer",
        Auth::OtherToken(_) => "other-token",
        Auth::OAuthClientCredentials { .. } => "oauth2",
        Auth::OAuthRefreshToken { .. } => "oauth2-refresh",
    }
}

/// Now, RFC 3339 UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The command that reruns one check with the same settings. Secrets show as `***` (the
/// sender's `Auth` display), so a rerun with auth needs the user's own spec back in.
fn rerun_command(config: &CheckConfig, id: &str) -> String {
    let quote = |text: &str| {
        if text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
        {
            text.to_owned()
        } else {
            format!("'{}'", text.replace('\'', "'\\''"))
        }
    };
    let mut command = format!("tesim check --target {}", quote(&config.target));
    if config.auth != Auth::None {
        command.push_str(&format!(" --auth {}", quote(&config.auth.to_string())));
    }
    for (name, _) in &config.headers {
        command.push_str(&format!(" --header {}", quote(&format!("{name}: ***"))));
    }
    for ca in &config.tls.ca_certs {
        command.push_str(&format!(" --ca-cert {}", quote(&ca.display().to_string())));
    }
    if config.tls.insecure {
        command.push_str(" --insecure");
    }
    if let Some(observe) = &config.observe {
        command.push_str(&format!(" --observe {}", quote(observe)));
    }
    if config.timeout != crate::DEFAULT_TIMEOUT {
        command.push_str(&format!(" --timeout {}ms", config.timeout.as_millis()));
    }
    if !config.profiles.is_empty() {
        let names: Vec<&str> = config.profiles.iter().map(|p| p.name()).collect();
        command.push_str(&format!(" --profile {}", names.join(",")));
    }
    command.push_str(&format!(" --only {id}"));
    command
}

/// Runs the selected checks against the receiver, one after the other, and reports.
///
/// Errors only when the checker cannot run (bad arguments, receiver unreachable); every
/// problem of the receiver is a verdict in the report.
pub async fn run(config: &CheckConfig) -> Result<Report, CheckError> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    let selected = select(&config.only, &config.skip)?;
    let decoded = decoded_form(&config.target);
    let effective = decoded.as_deref().unwrap_or(&config.target);
    let target: Target = effective
        .parse()
        .map_err(|err: tesim_sender::TargetError| CheckError::Target {
            // Never echo credentials given in the URL.
            target: tesim_sender::mask_userinfo(&config.target).into_owned(),
            reason: err.to_string(),
        })?;
    let observe = match &config.observe {
        Some(url) => Some(url.parse::<Target>().map_err(|err| CheckError::Observe {
            url: tesim_sender::mask_userinfo(url).into_owned(),
            reason: err.to_string(),
        })?),
        None => None,
    };
    let client_config = |insecure: bool| ClientConfig {
        tls: TlsConfig {
            insecure,
            ..config.tls.clone()
        },
        connect_timeout: config.timeout,
        request_timeout: config.timeout,
        headers: config.headers.clone(),
        ..ClientConfig::default()
    };
    let client = Client::new(&client_config(config.tls.insecure))?;
    let auth = Authenticator::new(config.auth.clone())?;
    // The TE-TLS checks judge the certificate; everything else needs an HTTP exchange.
    let needs_http = selected
        .iter()
        .any(|check| check.id != "TE-URL-001" && check.group() != "TLS");
    let needs_probe = needs_http || selected.iter().any(|check| check.group() == "TLS");
    let tls = if target.is_https() && needs_probe {
        Some(tls_probe(&target, &config.tls, config.timeout).await)
    } else {
        None
    };
    let http = Http::new(client, target.clone(), auth.clone());
    let run_id = config.run_id.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64)
    });
    let mut ctx = Ctx {
        http,
        ids: Ids::new(run_id),
        config,
        decoded,
        observe,
        tls,
        unverified: false,
    };

    if needs_http {
        match ctx.preflight().await {
            // A handshake that completes when any certificate is accepted, and fails when it is
            // verified: the certificate is the problem. That is TE-TLS's verdict (a FAIL), not a
            // reason to stop: the other checks run over a connection that skips verification.
            Err(CheckError::Unreachable { .. })
                if !config.tls.insecure
                    && ctx
                        .tls
                        .as_ref()
                        .is_some_and(|probe| probe.handshake_completes()) =>
            {
                let mut http = Http::new(Client::new(&client_config(true))?, target, auth);
                http.unverified = true;
                ctx.http = http;
                ctx.unverified = true;
                ctx.preflight().await?;
            }
            result => result?,
        }
    }
    let mut results = Vec::with_capacity(selected.len());
    for check in selected {
        let check_started = Instant::now();
        let outcome = ctx.run_check(check.check).await;
        // A failed SHOULD is a warning: reported, and failing the run only under --strict.
        let verdict = match (outcome.verdict, check.level) {
            (Verdict::Fail, Level::Should) => Verdict::Warn,
            (verdict, _) => verdict,
        };
        results.push(CheckResult {
            id: check.id.to_owned(),
            level: check.level,
            title: check.title.to_owned(),
            rerun: (verdict != Verdict::Pass).then(|| rerun_command(config, check.id)),
            verdict,
            message: outcome.message,
            url_to_configure: outcome.url_to_configure,
            evidence: outcome.evidence,
            duration_ms: check_started.elapsed().as_millis() as u64,
        });
    }
    Ok(Report {
        schema: REPORT_SCHEMA.to_owned(),
        tesim_version: env!("CARGO_PKG_VERSION").to_owned(),
        target: tesim_sender::mask_userinfo(&config.target).into_owned(),
        auth: auth_name(&config.auth).to_owned(),
        observe: config
            .observe
            .as_deref()
            .map(|url| tesim_sender::mask_userinfo(url).into_owned()),
        timeout_ms: config.timeout.as_millis() as u64,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: Report::summarise(&results),
        not_run: None,
        baseline: None,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rerun_selects_one_check_and_masks_secrets() {
        let mut config = CheckConfig::new("http://h/a hook");
        config.auth = "basic:te:hunter2".parse().unwrap();
        config.observe = Some("http://h/obs".to_owned());
        let command = rerun_command(&config, "TE-AUTH-002");
        assert_eq!(
            command,
            "tesim check --target 'http://h/a hook' --auth 'basic:te:***' --observe http://h/obs --only TE-AUTH-002"
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(
            decoded_form("http://h/a%20b").as_deref(),
            Some("http://h/a b")
        );
        assert_eq!(decoded_form("http://h/a b"), None);
        assert_eq!(decoded_form("http://h/100%"), None);
    }
}
