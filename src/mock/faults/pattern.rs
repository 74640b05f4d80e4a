//! Path patterns for aimed faults: literal segments, `*` for one segment, `**` for the rest.

/// A parsed path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathPattern {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    One,
    Rest,
}

impl PathPattern {
    /// Parses `"/Users/*"`, `"/api/v1/users/**"`, ...; empty segments are ignored, so
    /// `"/Users/"` is `"/Users"`.
    pub(crate) fn parse(pattern: &str) -> PathPattern {
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s {
                "*" => Segment::One,
                "**" => Segment::Rest,
                literal => Segment::Literal(literal.to_owned()),
            })
            .collect();
        PathPattern { segments }
    }

    /// Whether `path` (no query) matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        matches(&self.segments, &parts)
    }
}

fn matches(pattern: &[Segment], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::Rest, tail)) => (0..=parts.len()).any(|skip| matches(tail, &parts[skip..])),
        Some((Segment::One, tail)) => parts
            .split_first()
            .is_some_and(|(_, rest)| matches(tail, rest)),
        Some((Segment::Literal(literal), tail)) => parts
            .split_first()
            .is_some_and(|(first, rest)| first == literal && matches(tail, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_table() {
        let cases = [
            ("/Users", "/Users", true),
            ("/Users", "/Users/", true),
            ("/Users", "/Users/1", false),
            ("/Users", "/Groups", false),
            ("/Users", "/users", false),
            ("/Users/*", "/Users/1", true),
            ("/Users/*", "/Users", false),
            ("/Users/*", "/Users/1/x", false),
            ("/Users/**", "/Users", true),
            ("/Users/**", "/Users/1/x", true),
            ("/**", "/anything/at/all", true),
            (
                "/api/v1/users/*/lifecycle/*",
                "/api/v1/users/00u1/lifecycle/activate",
                true,
            ),
            ("/api/**/roles", "/api/v1/users/00u1/roles", true),
            ("/api/**/roles", "/api/v1/users/00u1/groups", false),
            ("/", "/", true),
            ("/", "/x", false),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(
                PathPattern::parse(pattern).matches(path),
                want,
                "{pattern} vs {path}"
            );
        }
    }
}
