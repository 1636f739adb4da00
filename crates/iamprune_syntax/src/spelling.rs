//! How a format spells what an edit adds to or removes from a list of strings: the quoting of an
//! item, its comments, its block sequences, the key that negates `Action`. Each format implements
//! [`Spelling`] beside its parser; the edit writer is format-neutral and asks it.

/// What an edit needs to know of a format to write a list item and to keep the comments around it.
pub trait Spelling: Sync {
    /// One string item, quoted as `like` (an existing item of the list, as written) is.
    fn string(&self, text: &str, like: &str) -> String;

    /// Whether the text between two items may hold a comment.
    fn comment_in(&self, gap: &str) -> bool;

    /// Whether `rest`, what follows an item on its line after blanks and an optional `,`, is a comment
    /// that runs to the end of the line. `spaced` tells whether anything (blank space, the `,`)
    /// separates it from the item.
    fn line_comment(&self, rest: &str, spaced: bool) -> bool;

    /// What starts a comment that runs to the end of its line, where the format has one: a suppression
    /// is written in it.
    fn line_comment_start(&self) -> Option<&'static str> {
        None
    }

    /// Whether list items may be written one per line as `- item` (a YAML block sequence).
    fn block_sequences(&self) -> bool {
        false
    }

    /// The key that turns `key` (an `Action` key as written) into its negation, or `None` when this
    /// format does not spell it so.
    fn not_action_key(&self, key: &str) -> Option<String> {
        key.contains("Action")
            .then(|| key.replacen("Action", "NotAction", 1))
    }
}

/// JSON text.
pub struct Json;

impl Spelling for Json {
    fn string(&self, text: &str, _like: &str) -> String {
        json_string(text)
    }

    fn comment_in(&self, _gap: &str) -> bool {
        false
    }

    fn line_comment(&self, _rest: &str, _spaced: bool) -> bool {
        false
    }
}

/// JSON inside a string literal of another format: a heredoc or block scalar holds it literally, a
/// double-quoted string escapes its `"` and `\`.
pub struct EmbeddedJson {
    pub double_quoted: bool,
}

impl Spelling for EmbeddedJson {
    fn string(&self, text: &str, _like: &str) -> String {
        let json = json_string(text);
        if self.double_quoted {
            json.replace('\\', "\\\\").replace('"', "\\\"")
        } else {
            json
        }
    }

    fn comment_in(&self, _gap: &str) -> bool {
        false
    }

    fn line_comment(&self, _rest: &str, _spaced: bool) -> bool {
        false
    }
}

/// A JSON string literal. Action patterns are ASCII without quotes, but anything is escaped properly.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_they_must() {
        assert_eq!(json_string("s3:Get*"), "\"s3:Get*\"");
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
        let quoted = EmbeddedJson {
            double_quoted: true,
        };
        assert_eq!(quoted.string("s3:Get*", ""), "\\\"s3:Get*\\\"");
        assert_eq!(
            Json.not_action_key("\"Action\""),
            Some("\"NotAction\"".into())
        );
        assert_eq!(Json.not_action_key("actions"), None);
    }
}
