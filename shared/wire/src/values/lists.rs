//! Bounded lists of a job's configuration: entrypoint, cmd, env and output file paths, with
//! Bencher's limits (64 arguments, 255 variables, 255 files).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

/// One environment variable, `KEY=VALUE`: the key is not empty and holds no `=` or NUL; the
/// value holds no NUL (the kernel could not pass it). Serialized as the `KEY=VALUE` text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvVar {
    text: String,
    eq: usize,
}

impl EnvVar {
    /// Validate `KEY=VALUE`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bad = |reason: &str| {
            ValidationError::invalid("env", format!("{:?} {reason}", truncate_for_message(s)))
        };
        let eq = s.find('=').ok_or_else(|| bad("is not KEY=VALUE"))?;
        if eq == 0 {
            return Err(bad("has an empty key"));
        }
        if s.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        Ok(Self {
            text: s.to_owned(),
            eq,
        })
    }

    /// A variable from its key and value.
    pub fn new(key: &str, value: &str) -> Result<Self, ValidationError> {
        if key.contains('=') {
            return Err(ValidationError::invalid(
                "env",
                format!("key {:?} contains '='", truncate_for_message(key)),
            ));
        }
        Self::parse(&format!("{key}={value}"))
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.text[..self.eq]
    }

    /// The value (may be empty).
    pub fn value(&self) -> &str {
        &self.text[self.eq + 1..]
    }

    /// The `KEY=VALUE` text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

super::string_value!(EnvVar);

/// A path of an output file the job leaves for the server (`--file`): not empty, at most
/// [`FilePath::MAX_LEN`] bytes, no NUL, no `..` component. The runner still resolves it beneath
/// the container root; this check only refuses what can never be right.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FilePath(String);

impl FilePath {
    /// Linux `PATH_MAX`.
    pub const MAX_LEN: usize = 4096;

    /// Validate a path.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let reason = if s.is_empty() {
            Some("is empty")
        } else if s.len() > Self::MAX_LEN {
            Some("is longer than 4096 bytes")
        } else if s.contains('\0') {
            Some("contains a NUL byte")
        } else if s.split('/').any(|c| c == "..") {
            Some("has a '..' component")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ValidationError::invalid(
                "file_paths",
                format!("{:?} {reason}", truncate_for_message(s)),
            )),
            None => Ok(Self(s.to_owned())),
        }
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_value!(FilePath);

fn no_nul(what: &'static str, arg: &str) -> Result<(), ValidationError> {
    if arg.contains('\0') {
        Err(ValidationError::invalid(
            what,
            format!(
                "argument {:?} contains a NUL byte",
                truncate_for_message(arg)
            ),
        ))
    } else {
        Ok(())
    }
}

fn any_item<T>(_: &'static str, _: &T) -> Result<(), ValidationError> {
    Ok(())
}

macro_rules! bounded_list {
    ($(#[$doc:meta])* $name:ident, $item:ty, $serde:literal, $max:expr, $what:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = $serde, into = $serde)]
        pub struct $name(Vec<$item>);

        impl $name {
            /// The most items accepted.
            pub const MAX: usize = $max;

            /// Validate a list.
            pub fn new(items: Vec<$item>) -> Result<Self, ValidationError> {
                if items.len() > Self::MAX {
                    return Err(ValidationError::TooMany {
                        what: $what,
                        len: items.len(),
                        max: Self::MAX,
                    });
                }
                for item in &items {
                    $check($what, item)?;
                }
                Ok(Self(items))
            }

            /// The items.
            pub fn as_slice(&self) -> &[$item] {
                &self.0
            }

            /// The items, owned.
            pub fn into_vec(self) -> Vec<$item> {
                self.0
            }

            /// Number of items.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether the list is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl TryFrom<Vec<$item>> for $name {
            type Error = ValidationError;

            fn try_from(items: Vec<$item>) -> Result<Self, Self::Error> {
                Self::new(items)
            }
        }

        impl From<$name> for Vec<$item> {
            fn from(list: $name) -> Self {
                list.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = [$item];

            fn deref(&self) -> &[$item] {
                &self.0
            }
        }
    };
}

bounded_list!(
    /// The image's entrypoint override: at most 64 arguments, none with a NUL byte.
    Entrypoint,
    String,
    "Vec<String>",
    64,
    "entrypoint",
    no_nul
);
bounded_list!(
    /// The image's cmd override: at most 64 arguments, none with a NUL byte.
    Cmd,
    String,
    "Vec<String>",
    64,
    "cmd",
    no_nul
);
bounded_list!(
    /// Extra environment of the container: at most 255 `KEY=VALUE` entries.
    EnvVars,
    EnvVar,
    "Vec<EnvVar>",
    255,
    "env",
    any_item
);
bounded_list!(
    /// Output files the job leaves for the server: at most 255 paths.
    FilePaths,
    FilePath,
    "Vec<FilePath>",
    255,
    "file_paths",
    any_item
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn env_vars_split_on_the_first_equals() {
        let var = EnvVar::parse("OPTS=a=b").unwrap();
        assert_eq!((var.key(), var.value()), ("OPTS", "a=b"));
        assert_eq!(EnvVar::parse("EMPTY=").unwrap().value(), "");
        for bad in ["", "NOVALUE", "=x", "K=\0"] {
            let err = EnvVar::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid env"), "{err}");
        }
        assert!(EnvVar::new("A=B", "c").is_err());
    }

    #[test]
    fn lists_refuse_too_many_items_naming_the_field() {
        let args = vec!["x".to_owned(); 65];
        let err = Entrypoint::new(args.clone()).unwrap_err().to_string();
        assert_eq!(err, "invalid entrypoint: 65 items, at most 64 allowed");
        let json = serde_json::to_string(&args).unwrap();
        let err = serde_json::from_str::<Cmd>(&json).unwrap_err().to_string();
        assert!(err.contains("invalid cmd: 65 items"), "{err}");
        assert!(Cmd::new(vec!["a\0b".to_owned()]).is_err());
        let env: Vec<String> = (0..256).map(|i| format!("K{i}=v")).collect();
        let err = serde_json::from_value::<EnvVars>(serde_json::json!(env)).unwrap_err();
        assert!(err.to_string().contains("invalid env: 256 items"), "{err}");
    }

    #[test]
    fn file_paths_refuse_traversal() {
        for bad in ["", "../etc/passwd", "out/../../x", "a\0b"] {
            let err = FilePath::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid file_paths"), "{err}");
        }
        assert!(FilePath::parse("/tmp/out.json").is_ok());
        assert!(FilePath::parse("results/..x").is_ok());
    }

    proptest! {
        #[test]
        fn env_vars_round_trip(key in "[A-Za-z_][A-Za-z0-9_]{0,20}", value in "[^\0]{0,40}") {
            let var = EnvVar::new(&key, &value).unwrap();
            prop_assert_eq!(var.key(), key.as_str());
            prop_assert_eq!(var.value(), value.as_str());
            let json = serde_json::to_string(&var).unwrap();
            prop_assert_eq!(serde_json::from_str::<EnvVar>(&json).unwrap(), var);
        }

        #[test]
        fn lists_accept_up_to_max(n in 0usize..=64) {
            let cmd = Cmd::new(vec!["arg".to_owned(); n]).unwrap();
            prop_assert_eq!(cmd.len(), n);
        }
    }
}
