//! Secrets (passwords, tokens, client secrets) that never show in output.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A secret value: a password, a token or a client secret.
///
/// `Debug` and `Display` print `***`, never the value; only [`Secret::expose`] gives it out, so a
/// leak is a visible call in review. Cloning is cheap (the value is shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a literal value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }

    /// Reads a secret from a spec: `env:NAME` (an environment variable), `file:PATH` (a file,
    /// one trailing line break removed) or anything else taken literally. A literal that itself
    /// starts with `env:` or `file:` can be written `raw:VALUE`.
    pub fn resolve(spec: &str) -> Result<Self, SecretError> {
        if let Some(name) = spec.strip_prefix("env:") {
            if name.is_empty() {
                return Err(SecretError::EmptyName);
            }
            return match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                Ok(_) => Err(SecretError::EmptyEnv {
                    name: name.to_owned(),
                }),
                Err(std::env::VarError::NotPresent) => Err(SecretError::MissingEnv {
                    name: name.to_owned(),
                }),
                Err(std::env::VarError::NotUnicode(_)) => Err(SecretError::NotUnicodeEnv {
                    name: name.to_owned(),
                }),
            };
        }
        if let Some(path) = spec.strip_prefix("file:") {
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path).map_err(|source| SecretError::File {
                path: path.clone(),
                source,
            })?;
            let value = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .unwrap_or(&text);
            if value.is_empty() {
                return Err(SecretError::EmptyFile { path });
            }
            return Ok(Secret::new(value));
        }
        Ok(Secret::new(spec.strip_prefix("raw:").unwrap_or(spec)))
    }

    /// The secret value. Call it only where the value goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why a secret could not be read. Never contains the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `env:` with no variable name.
    #[error("`env:` needs a variable name, as in env:WEBHOOK_TOKEN")]
    EmptyName,
    /// The environment variable is not set.
    #[error("environment variable {name} is not set; export it or give the value another way")]
    MissingEnv {
        /// Variable name.
        name: String,
    },
    /// The environment variable is set but empty.
    #[error("environment variable {name} is empty; set it to the secret value")]
    EmptyEnv {
        /// Variable name.
        name: String,
    },
    /// The environment variable is not valid UTF-8.
    #[error("environment variable {name} is not valid UTF-8")]
    NotUnicodeEnv {
        /// Variable name.
        name: String,
    },
    /// The secret file cannot be read.
    #[error("cannot read secret file {path}; check the path and its permissions")]
    File {
        /// File path.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The secret file is empty.
    #[error("secret file {path} is empty; write the secret value into it")]
    EmptyFile {
        /// File path.
        path: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.to_string(), "***");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn literal_and_raw() {
        assert_eq!(Secret::resolve("abc").unwrap().expose(), "abc");
        assert_eq!(Secret::resolve("raw:env:X").unwrap().expose(), "env:X");
    }

    #[test]
    fn file_strips_one_line_break() {
        let dir = std::env::temp_dir().join(format!("tesim-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "s3cret\n").unwrap();
        let secret = Secret::resolve(&format!("file:{}", path.display())).unwrap();
        assert_eq!(secret.expose(), "s3cret");
        std::fs::write(&path, "").unwrap();
        let err = Secret::resolve(&format!("file:{}", path.display())).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_env_names_the_variable() {
        let err = Secret::resolve("env:TESIM_SURELY_NOT_SET_4711").unwrap_err();
        assert!(
            err.to_string()
                .contains("TESIM_SURELY_NOT_SET_4711 is not set"),
            "{err}"
        );
    }
}
