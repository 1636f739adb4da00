//! Registry and git modules as `terraform init` vendors them: `.terraform/modules/modules.json` says
//! where the code of each module call is, by the call's key (`iam_role`, or `app.iam_role` for a call
//! inside module `app`).

use std::path::{Path, PathBuf};

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
/// itself (key `""`) is not. A manifest that does not parse lists nothing: the calls are then noted as
/// not followed, where they are written.
pub fn vendored_modules(root: &Path, manifest: &str) -> Vec<(String, PathBuf)> {
    let Ok(parsed) = serde_json::from_str::<Manifest>(manifest) else {
        return Vec::new();
    };
    parsed
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
        .collect()
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
            [(
                "iam_role".to_string(),
                PathBuf::from("/repo/app/.terraform/modules/iam_role/modules/iam-role")
            )]
        );
        assert!(vendored_modules(Path::new("/repo"), "not json").is_empty());
        assert!(is_vendored(Path::new(
            "/repo/app/.terraform/modules/iam_role"
        )));
        assert!(!is_vendored(Path::new("/repo/app/modules/terraform")));
    }
}
