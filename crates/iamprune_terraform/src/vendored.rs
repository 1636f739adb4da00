//! Registry and git modules as `terraform init` vendors them: `.terraform/modules/modules.json` says
//! where the code of each module call is, by the call's key (`iam_role`, or `app.iam_role` for a call
//! inside module `app`).

use std::path::{Path, PathBuf};

use iamprune_syntax::{Span, SyntaxError};
use serde::Deserialize;

/// Where `terraform init` keeps the manifest, under a root module's directory.
pub const MANIFEST: &str = ".terraform/modules/modules.json";

#[derive(Deserialize)]
struct Manifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Dir", default)]
    dir: String,
}

/// The vendored modules a manifest lists, by call key, with their directories (under `root`, the
/// directory `terraform init` ran in). Local modules are listed too, by their own paths; the root
/// itself (key `""`) is not. A manifest that does not read is an error where it stops reading; the
/// caller says it, since the calls are then not followed.
pub fn vendored_modules(
    root: &Path,
    manifest: &str,
) -> Result<Vec<(String, PathBuf)>, SyntaxError> {
    let parsed = serde_json::from_str::<Manifest>(manifest).map_err(|e| {
        let why = match iamprune_syntax::json::parse(manifest) {
            Err(syntax) => syntax,
            // JSON, but not of a manifest's shape.
            Ok(_) => SyntaxError::new(Span::new(0, 0), e.to_string()),
        };
        SyntaxError::new(
            why.span,
            format!(
                "terraform init's module manifest does not read ({}): the registry and git modules it lists are not followed; run `terraform init` again",
                why.message
            ),
        )
    })?;
    Ok(parsed
        .modules
        .into_iter()
        .filter(|e| !e.key.is_empty() && !e.dir.is_empty())
        // A directory outside the root is not one `init` made.
        .filter(|e| {
            Path::new(&e.dir).components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
        })
        .map(|e| {
            let dir: PathBuf = Path::new(&e.dir)
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
            (e.key, root.join(dir))
        })
        .collect())
}

/// Whether a directory is inside a `.terraform` directory: code there is vendored, and fixed at its
/// source, never in place.
pub fn is_vendored(dir: &Path) -> bool {
    dir.components().any(|c| c.as_os_str() == ".terraform")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_directories_under_the_root() {
        let manifest = r#"{"Modules":[
            {"Key":"","Source":"","Dir":"."},
            {"Key":"iam_role","Source":"registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-role","Version":"6.2.1","Dir":".terraform/modules/iam_role/modules/iam-role"},
            {"Key":"escape","Source":"x","Dir":"../elsewhere"}
        ]}"#;
        assert_eq!(
            vendored_modules(Path::new("/repo/app"), manifest),
            Ok(vec![(
                "iam_role".to_string(),
                PathBuf::from("/repo/app/.terraform/modules/iam_role/modules/iam-role")
            )])
        );
        assert!(is_vendored(Path::new(
            "/repo/app/.terraform/modules/iam_role"
        )));
        assert!(!is_vendored(Path::new("/repo/app/modules/terraform")));
    }

    #[test]
    fn a_manifest_that_does_not_read_says_where_and_what_to_do() {
        let cut = r#"{"Modules":[{"Key":"iam_role","Dir":".terraform/mo"#;
        let error = vendored_modules(Path::new("/repo"), cut).err();
        let error = error.unwrap_or_else(|| panic!("a cut manifest reads"));
        assert!(error.span.start > 30, "{error:?}");
        assert!(
            error.message.contains("run `terraform init` again"),
            "{error}"
        );
        let shape = vendored_modules(Path::new("/repo"), r#"{"Modules": 3}"#).err();
        assert!(shape.is_some_and(|e| e.message.contains("invalid type")));
    }
}
