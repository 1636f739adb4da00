//! The catalog's TSV format, read into sorted rows.
//!
//! This file is also the build script's (`build.rs` includes it by path): the embedded catalog is
//! read once, when the crate is built, by the same code that reads a catalog given at run time. So
//! it uses nothing but `std`.

use std::fmt;

/// How much an action can do, as the service authorization reference classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
    Unknown,
}

impl AccessLevel {
    /// Parses a level; a compound one such as `Permissions management, Write` counts as its first label.
    pub fn parse(text: &str) -> AccessLevel {
        let first = text.split(',').next().unwrap_or("").trim();
        match first.to_ascii_lowercase().as_str() {
            "list" => AccessLevel::List,
            "read" => AccessLevel::Read,
            "write" => AccessLevel::Write,
            "permissions management" => AccessLevel::PermissionsManagement,
            "tagging" => AccessLevel::Tagging,
            _ => AccessLevel::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A catalog's rows: sorted by lower-cased name, each name once.
pub struct Rows {
    /// The first `# source:` line's text.
    pub source: Option<String>,
    /// Lower-cased name, canonical name, access level.
    pub rows: Vec<(String, String, AccessLevel)>,
}

/// A line of a catalog that does not read.
#[derive(Debug)]
pub struct RowError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Reads a catalog TSV: `#` comment lines (the first `# source:` line names the data version), an
/// optional `service<TAB>action<TAB>access_level` header line, then one action per line. Rows need not
/// be sorted; a name listed twice (in any case) is kept once.
pub fn parse(text: &str) -> Result<Rows, RowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut source = None;
    let mut rows: Vec<(String, String, AccessLevel)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if source.is_none()
                && let Some(rest) = comment.trim().strip_prefix("source:")
            {
                source = Some(rest.trim().to_string());
            }
            continue;
        }
        let mut fields = line.split('\t');
        let service = fields.next().unwrap_or("").trim();
        let action = fields.next().map(str::trim);
        let level = fields.next().map(str::trim).unwrap_or("");
        if rows.is_empty() && service.eq_ignore_ascii_case("service") {
            continue;
        }
        let error = |column: usize, message: String| RowError {
            line: line_no,
            column,
            message,
        };
        let Some(action) = action.filter(|a| !a.is_empty()) else {
            return Err(error(
                line.len() + 1,
                "expected `service<TAB>Action<TAB>AccessLevel`".into(),
            ));
        };
        if !is_service_name(service) {
            return Err(error(1, format!("`{service}` is not a service prefix")));
        }
        if action.contains([':', '*', '?']) || action.contains(char::is_whitespace) {
            return Err(error(
                service.len() + 2,
                format!("`{action}` is not an action name"),
            ));
        }
        let name = format!("{service}:{action}");
        let lower = name.to_ascii_lowercase();
        rows.push((lower, name, AccessLevel::parse(level)));
    }
    if rows.is_empty() {
        return Err(RowError {
            line: 1,
            column: 1,
            message: "the catalog lists no actions".into(),
        });
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.dedup_by(|later, earlier| later.0 == earlier.0);
    Ok(Rows { source, rows })
}

/// Service prefixes are lower-case letters, digits and `-` (`s3`, `s3-object-lambda`, `aws-marketplace`).
pub fn is_service_name(service: &str) -> bool {
    !service.is_empty()
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}
