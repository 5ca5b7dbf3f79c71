//! Property tests of the `--auth` and target parsers.

use proptest::prelude::*;
use tesim_sender::{Auth, ClientAuthMethod, Secret, Target};

/// Literal secret values: no `,` (the OAuth separator) and none of the `env:`/`file:`/`raw:`
/// prefixes.
fn secret_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~+/=-][A-Za-z0-9._~+/=:-]{0,30}"
}

fn token_url() -> impl Strategy<Value = String> {
    ("[a-z]{1,10}", "[a-z0-9/]{0,12}")
        .prop_map(|(host, path)| format!("https://{host}.example/{path}"))
}

proptest! {
    #[test]
    fn auth_parser_never_panics(spec in any::<String>()) {
        let _ = spec.parse::<Auth>();
    }

    #[test]
    fn auth_parser_never_panics_on_near_misses(
        mode in prop::sample::select(vec!["basic:", "bearer:", "other-token:", "oauth2:", "oauth2-refresh:", "none"]),
        rest in "[ -~]{0,60}",
    ) {
        let _ = format!("{mode}{rest}").parse::<Auth>();
    }

    #[test]
    fn target_parser_never_panics(text in any::<String>()) {
        let _ = text.parse::<Target>();
    }

    #[test]
    fn targets_round_trip(
        https in any::<bool>(),
        host in "[a-z][a-z0-9-]{0,10}",
        port in proptest::option::of(1u16..),
        path in "(/[A-Za-z0-9._~ -]{0,8}){0,3}",
        query in proptest::option::of("[A-Za-z0-9=&]{0,12}"),
    ) {
        let scheme = if https { "https" } else { "http" };
        let port = port.map(|port| format!(":{port}")).unwrap_or_default();
        let query = query.map(|query| format!("?{query}")).unwrap_or_default();
        let text = format!("{scheme}://{host}{port}{path}{query}");
        let target: Target = text.parse().unwrap();
        // What we display (encoded) is refused only if it gained percent escapes; otherwise it
        // parses back to the same target.
        if target.as_str().contains('%') {
            prop_assert!(target.as_str().parse::<Target>().is_err());
        } else {
            prop_assert_eq!(target.as_str().parse::<Target>().unwrap(), target);
        }
    }

    #[test]
    fn percent_encoded_targets_are_always_refused(
        prefix in "https?://[a-z]{1,8}/[a-z]{0,5}",
        escape in "%[0-9A-Fa-f]{2}",
    ) {
        let err = format!("{prefix}{escape}").parse::<Target>().unwrap_err();
        prop_assert!(err.to_string().contains("decoded form"));
    }

    #[test]
    fn basic_and_bearer_round_trip(user in "[A-Za-z0-9._-]{1,12}", secret in secret_value()) {
        let auth: Auth = format!("basic:{user}:{secret}").parse().unwrap();
        prop_assert_eq!(&auth, &Auth::Basic { username: user.clone(), password: Secret::new(secret.clone()) });
        let shown = format!("{} {:?}", auth, auth);
        prop_assert!(shown.contains("***"));
        prop_assert!(!shown.contains(&format!("{user}:{secret}")), "{}", shown);
        let auth: Auth = format!("bearer:{secret}").parse().unwrap();
        prop_assert_eq!(auth, Auth::Bearer(Secret::new(secret)));
    }

    #[test]
    fn oauth_specs_round_trip(
        url in token_url(),
        client_id in "[A-Za-z0-9._-]{1,12}",
        client_secret in secret_value(),
        scope in proptest::option::of("[a-z:.]{1,12}"),
        body in any::<bool>(),
    ) {
        let client_auth = if body { ClientAuthMethod::Body } else { ClientAuthMethod::Basic };
        let mut spec = format!("oauth2:{url},client_id={client_id},client_secret={client_secret}");
        if let Some(scope) = &scope {
            spec.push_str(&format!(",scope={scope}"));
        }
        if body {
            spec.push_str(",client_auth=body");
        }
        let auth: Auth = spec.parse().unwrap();
        let expected = Auth::OAuthClientCredentials {
            token_url: url.parse().unwrap(),
            client_id,
            client_secret: Secret::new(client_secret),
            scope,
            client_auth,
        };
        prop_assert_eq!(&auth, &expected);
        // Display is the spec with the secret masked: parsing it back gives the same auth
        // with `***` as the secret.
        let shown = auth.to_string();
        prop_assert_eq!(shown.replace("client_secret=***", &format!("client_secret={}", match &expected {
            Auth::OAuthClientCredentials { client_secret, .. } => client_secret.expose().to_owned(),
            _ => unreachable!(),
        })).parse::<Auth>().unwrap(), expected);
    }
}
