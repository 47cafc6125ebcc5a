use proptest::prelude::*;

use super::*;

const SHA: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

#[test]
fn parses_the_documented_forms() {
    let r = ImageReference::parse("demo:v1").unwrap();
    assert_eq!(
        (r.registry(), r.repository(), r.tag()),
        (None, "demo", Some("v1"))
    );

    let r = ImageReference::parse("127.0.0.1:6610/my-project/bench:v1").unwrap();
    assert_eq!(r.registry(), Some("127.0.0.1:6610"));
    assert_eq!(r.repository(), "my-project/bench");
    assert_eq!(r.tag(), Some("v1"));

    let r = ImageReference::parse(&format!("ghcr.io/org/img@{SHA}")).unwrap();
    assert_eq!(r.registry(), Some("ghcr.io"));
    assert_eq!(r.tag(), None);
    assert_eq!(r.digest().unwrap().as_str(), SHA);

    let r = ImageReference::parse("localhost/a__b.c-d---e").unwrap();
    assert_eq!(
        (r.registry(), r.tag_or_default()),
        (Some("localhost"), "latest")
    );

    let r = ImageReference::parse("team/bench:v2").unwrap();
    assert_eq!((r.registry(), r.repository()), (None, "team/bench"));
}

#[test]
fn refuses_what_the_grammar_refuses_naming_the_field() {
    let long = format!("{}:v1", "a".repeat(256));
    let bad_tag = format!("demo:{}", "t".repeat(129));
    for bad in [
        "",
        ":v1",
        "Demo:v1",
        "reg.io/Team/x",
        "demo:",
        "demo:-v1",
        "demo:v 1",
        "a//b",
        "a/b/",
        "-a",
        "a-",
        "a..b",
        "a___b",
        "a.-b",
        "reg.io:0/x",
        "reg.io:99999/x",
        "reg.io:/x",
        "-reg.io/x",
        "demo@sha256:abc",
        "demo@md5:abc",
        long.as_str(),
        bad_tag.as_str(),
    ] {
        let err = ImageReference::parse(bad).unwrap_err().to_string();
        assert!(err.starts_with("invalid image"), "{bad:?}: {err}");
    }
    let err = ImageReference::parse("Demo:v1").unwrap_err().to_string();
    assert!(err.contains("lowercase"), "{err}");
}

#[test]
fn pins_by_digest_and_drops_the_tag() {
    let r = ImageReference::parse("127.0.0.1:6610/demo:v1").unwrap();
    let digest = Digest::parse(SHA).unwrap();
    assert_eq!(
        r.with_digest(digest.clone()).to_string(),
        format!("127.0.0.1:6610/demo:v1@{SHA}")
    );
    let pinned = r.pin(digest);
    assert_eq!(pinned.to_string(), format!("127.0.0.1:6610/demo@{SHA}"));
    assert_eq!(PinnedImage::parse(&pinned.to_string()).unwrap(), pinned);
    assert!(PinnedImage::parse("demo:v1").is_err());
    assert!(PinnedImage::parse(&format!("demo:v1@{SHA}")).is_err());
    let back: ImageReference = pinned.into();
    assert_eq!(back.digest().map(Digest::as_str), Some(SHA));
}

#[test]
fn serde_refuses_bad_references() {
    let err = serde_json::from_str::<ImageReference>("\"UPPER:v1\"").unwrap_err();
    assert!(err.to_string().contains("invalid image"), "{err}");
    let r: ImageReference = serde_json::from_str("\"demo:v1\"").unwrap();
    assert_eq!(serde_json::to_string(&r).unwrap(), "\"demo:v1\"");
}

fn component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,8}((\\.|_|__|-{1,3})[a-z0-9]{1,8}){0,2}"
}

proptest! {
    #[test]
    fn valid_references_round_trip(
        registry in proptest::option::of("[a-z0-9]{1,10}(\\.[a-z]{2,5})(:[1-9][0-9]{0,3})?"),
        first in "[a-z0-9]{1,8}(-[a-z0-9]{1,8})?",
        rest in proptest::collection::vec(component(), 0..3),
        tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}"),
        hex in proptest::option::of("[0-9a-f]{64}"),
    ) {
        let path: Vec<String> = std::iter::once(first).chain(rest).collect();
        let mut text = String::new();
        if let Some(registry) = &registry {
            text.push_str(registry);
            text.push('/');
        }
        text.push_str(&path.join("/"));
        if let Some(tag) = &tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(hex) = &hex {
            text.push_str("@sha256:");
            text.push_str(hex);
        }
        let r = ImageReference::parse(&text).unwrap();
        prop_assert_eq!(r.to_string(), text);
        prop_assert_eq!(r.registry(), registry.as_deref());
        prop_assert_eq!(r.repository(), path.join("/"));
        prop_assert_eq!(r.tag(), tag.as_deref());
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        if let Ok(r) = ImageReference::parse(&s) {
            prop_assert_eq!(ImageReference::parse(&r.to_string()).unwrap(), r);
        }
    }
}
