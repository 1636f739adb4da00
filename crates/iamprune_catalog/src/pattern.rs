//! IAM action patterns: `*` matches any run of characters, `?` exactly one; matching ignores ASCII case.

use std::fmt;

/// An action pattern as written in a policy (`s3:Get*`, `*`, `s3:Get?bject`, `iam:List*Tags`).
///
/// Matching is case-insensitive, so the pattern keeps a lower-cased copy next to the text as written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    text: String,
    lower: String,
    /// Byte length of the part before the first wildcard.
    literal_len: usize,
}

/// The shape of a pattern, which decides how the refinement may rewrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// No wildcard: names one action.
    Exact,
    /// Only `*` characters.
    FullWildcard,
    /// A literal prefix followed by a single `*`.
    TrailingStar,
    /// Any other placement of `*` or `?`.
    Glob,
}

impl Pattern {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let lower = text.to_ascii_lowercase();
        let literal_len = lower.find(['*', '?']).unwrap_or(lower.len());
        Pattern {
            text,
            lower,
            literal_len,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The lower-cased pattern that matching works on.
    pub fn lower(&self) -> &str {
        &self.lower
    }

    /// The lower-cased text before the first wildcard: every match starts with it.
    pub fn literal_prefix(&self) -> &str {
        &self.lower[..self.literal_len]
    }

    pub fn kind(&self) -> PatternKind {
        if self.literal_len == self.lower.len() {
            PatternKind::Exact
        } else if self.lower.bytes().all(|b| b == b'*') {
            PatternKind::FullWildcard
        } else if self.literal_len + 1 == self.lower.len() && self.lower.ends_with('*') {
            PatternKind::TrailingStar
        } else {
            PatternKind::Glob
        }
    }

    pub fn has_wildcard(&self) -> bool {
        self.kind() != PatternKind::Exact
    }

    /// Whether the pattern matches `name` (any case).
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.lower.as_bytes(), name.to_ascii_lowercase().as_bytes())
    }

    /// Whether the pattern matches an already lower-cased name.
    pub fn matches_lower(&self, lower_name: &str) -> bool {
        glob_match(self.lower.as_bytes(), lower_name.as_bytes())
    }

    /// Whether every string that starts with `prefix` matches this pattern, whatever follows it.
    ///
    /// This is the syntactic containment `prefix*` ⊆ `self` that makes a rewrite safe against actions AWS
    /// adds later, not just against today's catalog. It answers `true` only when one way of reading `prefix`
    /// leaves nothing but `*`s in the pattern; that is conservative (a `false` can only make a rewrite less
    /// general, never unsound).
    pub fn covers_prefix(&self, prefix: &str) -> bool {
        // The common shapes answer without simulating the pattern.
        match self.kind() {
            PatternKind::FullWildcard => return true,
            PatternKind::TrailingStar => {
                let literal = self.literal_prefix();
                return prefix.len() >= literal.len()
                    && prefix.as_bytes()[..literal.len()].eq_ignore_ascii_case(literal.as_bytes());
            }
            PatternKind::Exact => return false,
            PatternKind::Glob => {}
        }
        let pattern = self.lower.as_bytes();
        let prefix = prefix.to_ascii_lowercase();
        let mut states = vec![false; pattern.len() + 1];
        states[0] = true;
        star_closure(pattern, &mut states);
        for c in prefix.chars() {
            let mut next = vec![false; pattern.len() + 1];
            for (i, &on) in states.iter().enumerate() {
                if !on || i == pattern.len() {
                    continue;
                }
                match pattern[i] {
                    b'*' => next[i] = true,
                    b'?' => next[i + 1] = true,
                    _ => {
                        let mut buf = [0u8; 4];
                        let encoded = c.encode_utf8(&mut buf).as_bytes();
                        if pattern[i..].starts_with(encoded) {
                            next[i + encoded.len()] = true;
                        }
                    }
                }
            }
            star_closure(pattern, &mut next);
            if !next.iter().any(|&on| on) {
                return false;
            }
            states = next;
        }
        states
            .iter()
            .enumerate()
            .any(|(i, &on)| on && i < pattern.len() && pattern[i..].iter().all(|&b| b == b'*'))
    }

    /// Whether every string this pattern matches is also matched by `other` (syntactically, so it holds
    /// for future catalog versions too). Conservative: `false` when unsure.
    pub fn is_covered_by(&self, other: &Pattern) -> bool {
        match self.kind() {
            PatternKind::Exact => other.matches_lower(&self.lower),
            PatternKind::TrailingStar | PatternKind::FullWildcard => {
                other.covers_prefix(self.literal_prefix())
            }
            // A general glob inside another glob is a language-inclusion question; only the trivial
            // cases are answered.
            PatternKind::Glob => {
                other.lower == self.lower || other.kind() == PatternKind::FullWildcard
            }
        }
    }
}

/// A `*` may match the empty string, so a state before it also stands after it.
fn star_closure(pattern: &[u8], states: &mut [bool]) {
    for i in 0..pattern.len() {
        if states[i] && pattern[i] == b'*' {
            states[i + 1] = true;
        }
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.text)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Glob matching of lower-cased byte strings with `*` and `?`; `?` consumes one UTF-8 character.
///
/// The classic linear backtracking over the last `*` seen: IAM patterns are short, and this needs no
/// allocation, which matters when a pattern is tested against every catalog action.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == b'?' {
            p += 1;
            t += utf8_len(text[t]);
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            let resume = st + utf8_len(text[st]);
            star = Some((sp, resume));
            p = sp + 1;
            t = resume;
        } else {
            return false;
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&b| b == b'*')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        // A continuation byte cannot start a character of valid UTF-8; step over it alone.
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p).matches(t)
    }

    #[test]
    fn matching() {
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(m("S3:get*", "s3:GetObject"));
        assert!(m("s3:Get*", "s3:Get"));
        assert!(!m("s3:Get*", "s3:PutObject"));
        assert!(m("*", "anything:AtAll"));
        assert!(m("s3:Get?bject", "s3:GetObject"));
        assert!(!m("s3:Get?bject", "s3:GetObjectAcl"));
        assert!(m("iam:List*Tags", "iam:ListRoleTags"));
        assert!(!m("iam:List*Tags", "iam:ListRoleTagsX"));
        assert!(m("*:*Object*", "s3:GetObjectAcl"));
        assert!(m("s3:GetObject", "S3:GETOBJECT"));
        assert!(!m("s3:GetObject", "s3:GetObjectAcl"));
        assert!(m("a?c", "aéc"));
        assert!(!m("", "a"));
        assert!(m("", ""));
    }

    #[test]
    fn kinds() {
        assert_eq!(Pattern::new("s3:GetObject").kind(), PatternKind::Exact);
        assert_eq!(Pattern::new("*").kind(), PatternKind::FullWildcard);
        assert_eq!(Pattern::new("**").kind(), PatternKind::FullWildcard);
        assert_eq!(Pattern::new("s3:Get*").kind(), PatternKind::TrailingStar);
        assert_eq!(Pattern::new("s3:*Object").kind(), PatternKind::Glob);
        assert_eq!(Pattern::new("s3:Get?").kind(), PatternKind::Glob);
        assert_eq!(Pattern::new("s3:Get**").kind(), PatternKind::Glob);
        assert_eq!(Pattern::new("s3:Get*").literal_prefix(), "s3:get");
    }

    #[test]
    fn containment() {
        let p = Pattern::new("s3:*Object*");
        assert!(p.covers_prefix("s3:GetObject"));
        assert!(p.covers_prefix("s3:PutObjectAcl"));
        assert!(!p.covers_prefix("s3:Get"));
        assert!(Pattern::new("s3:Get*").covers_prefix("s3:GetObject"));
        assert!(Pattern::new("s3:Get*").covers_prefix("S3:GET"));
        assert!(!Pattern::new("s3:Get*").covers_prefix("s3:Ge"));
        assert!(!Pattern::new("s3:Get?bject").covers_prefix("s3:GetObject"));
        assert!(Pattern::new("s3:Get?bject*").covers_prefix("s3:GetObject"));
        assert!(Pattern::new("*").covers_prefix(""));
        assert!(Pattern::new("*:Get*").covers_prefix("s3:Get"));
        assert!(!Pattern::new("s3:GetObject").covers_prefix("s3:GetObject"));
    }

    #[test]
    fn coverage_between_patterns() {
        let get = Pattern::new("s3:Get*");
        assert!(Pattern::new("s3:GetObject").is_covered_by(&get));
        assert!(Pattern::new("s3:GetObject*").is_covered_by(&get));
        assert!(!get.is_covered_by(&Pattern::new("s3:GetObject*")));
        assert!(get.is_covered_by(&Pattern::new("*")));
        assert!(get.is_covered_by(&Pattern::new("s3:*")));
    }
}
