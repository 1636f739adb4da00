//! How YAML spells list items and comments, for edits (see [`iamprune_syntax::Spelling`]).

use iamprune_syntax::Spelling;
use iamprune_syntax::spelling::json_string;

/// YAML text: plain, single- or double-quoted scalars, `#` comments, block sequences.
pub struct Yaml;

impl Spelling for Yaml {
    fn line_comment_start(&self) -> Option<&'static str> {
        Some("#")
    }

    fn string(&self, text: &str, like: &str) -> String {
        if like.starts_with('\'') {
            format!("'{}'", text.replace('\'', "''"))
        } else if like.starts_with('"') || needs_quotes(text) {
            json_string(text)
        } else {
            text.to_string()
        }
    }

    fn comment_in(&self, gap: &str) -> bool {
        gap.contains('#')
    }

    fn line_comment(&self, rest: &str, spaced: bool) -> bool {
        // `#` starts a comment only after blank space; `a#b` is one scalar.
        spaced && rest.starts_with('#')
    }

    fn block_sequences(&self) -> bool {
        true
    }
}

/// Whether a string must be quoted for YAML to read it back as the same string: a plain scalar may
/// not be empty, start with an indicator (`*` would be an alias) or blank space, hold `: ` or ` #`,
/// end in `:` or blank space, hold a control character, or read as another type (`true`, `null`,
/// `~`, a number).
pub fn needs_quotes(text: &str) -> bool {
    const OTHER_TYPES: [&str; 10] = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    text.is_empty()
        || text.starts_with([
            '*', '&', '!', '|', '>', '\'', '"', '%', '@', '`', '[', ']', '{', '}', ',', '?', '-',
            '#', ':', ' ',
        ])
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with([':', ' '])
        || text.chars().any(char::is_control)
        || OTHER_TYPES.contains(&text.to_ascii_lowercase().as_str())
        || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_quoted_as_their_neighbours_or_when_they_must_be() {
        assert_eq!(Yaml.string("s3:Get*", "s3:List*"), "s3:Get*");
        assert_eq!(Yaml.string("s3:Get*", "'s3:List*'"), "'s3:Get*'");
        assert_eq!(Yaml.string("s3:Get*", "\"s3:List*\""), "\"s3:Get*\"");
        assert_eq!(Yaml.string("*", "s3:List*"), "\"*\"");
        assert!(Yaml.line_comment("# why", true));
        assert!(!Yaml.line_comment("#x", false));
    }
}
