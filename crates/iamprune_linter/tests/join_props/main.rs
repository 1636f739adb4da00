//! The join, held to the truth over random worlds: no fix ever removes an action that a deployed
//! principal reaching the policy used, or grants anything new.
//!
//! Each case is a world ([`world::World`]) of roles, users and groups declared in Terraform or a
//! CloudFormation template (JSON or YAML), deployed to one or more accounts and environments, with
//! policies inline or attached, documents shared by several consumers (an `aws_iam_policy_document`, a
//! `local`, a file read with `file()`, a YAML alias), a managed policy that is also a permissions
//! boundary or exported to other stacks, a shared document that is also a service control policy, an
//! action a variable sets per environment; with users added to groups by hand and roles of other
//! stacks attaching an exported policy; and with what every deployed principal used. It is written
//! out as a project ([`render`]) with the findings the analyzers would export for the principals they
//! cover and a configuration that says only what is true; the engine checks and fixes it as
//! `iamprune fix` does, and the statements are read back by `Sid` ([`read`]). Then every deployed
//! principal, in the source or not, must still be allowed every action it used, and no statement may
//! allow more than it did.
//!
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` choose how many worlds and which; without them the same
//! 256 run every time.

mod read;
mod render;
mod world;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use iamprune_catalog::Catalog;
use iamprune_linter::{Level, Settings, Workspace, fix_loop};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use world::{Grant, World};

/// Cases per run unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
/// The seed unless `PROPTEST_RNG_SEED` says otherwise, so that every run (and CI) tries the same
/// worlds; set the variable to explore others.
const SEED: u64 = 0x10a4_2b17;

/// What the cases did, to tell a property that holds from one that never had anything to check.
#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    /// Cases in which the fix changed some file.
    narrowed: AtomicUsize,
    /// Units whose fixes failed the engine's own verification (nothing of them was written).
    refused: AtomicUsize,
}

fn config() -> Config {
    // The default reads `PROPTEST_CASES`, `PROPTEST_RNG_SEED` and the other `PROPTEST_*` variables.
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(SEED);
    }
    // A failure prints its world and project whole; nothing is written next to the sources.
    config.failure_persistence = None;
    config
}

#[test]
fn no_fix_removes_what_a_deployed_principal_used() {
    let catalog = Catalog::embedded();
    let stats = Stats::default();
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(config());
    let result = runner.run(&world::arb_world(), |world| {
        stats.cases.fetch_add(1, Ordering::Relaxed);
        check(catalog, &world, &stats).map(|_| ())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, world)) => {
            panic!("{reason}\n\nthe world, as generated:\n{world:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("aborted: {reason}"),
    }
    let cases = stats.cases.load(Ordering::Relaxed);
    let narrowed = stats.narrowed.load(Ordering::Relaxed);
    eprintln!(
        "{cases} worlds in {:.1?}: {narrowed} narrowed, {} units whose fixes the engine refused",
        started.elapsed(),
        stats.refused.load(Ordering::Relaxed)
    );
    // A generator whose worlds are never narrowed would hold the property without testing it.
    assert!(
        narrowed * 5 >= cases,
        "only {narrowed} of {cases} worlds were narrowed at all"
    );
}

fn fail(message: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(message.into())
}

/// A world's project, fixed as `iamprune fix` fixes it, with its statements before and after.
struct Fixed {
    project: render::Project,
    original: Vec<(PathBuf, String)>,
    fixed: Vec<(PathBuf, String)>,
    before: BTreeMap<String, Grant>,
    after: BTreeMap<String, Grant>,
    /// What the engine noted (why a policy was not narrowed, findings that joined nothing).
    notes: Vec<String>,
    /// Units whose fixes failed the engine's own verification.
    refused: usize,
}

impl Fixed {
    fn changed(&self) -> bool {
        self.fixed != self.original
    }

    /// A failure, with everything needed to read it: the project, what the fix did, the notes.
    fn fail(&self, what: String) -> TestCaseError {
        fail(format!(
            "{what}\n\n{}\nwhat the engine noted:\n{}\n",
            describe(&self.project, Some((&self.original, &self.fixed))),
            self.notes.join("\n")
        ))
    }
}

/// Writes the world as a project in a fresh directory, checks it with the engine's workspace, and
/// writes its fixes as `iamprune fix` does.
fn fix(catalog: &Catalog, world: &World) -> Result<Fixed, TestCaseError> {
    let project = render::render(catalog, world);
    let dir = tempfile::Builder::new()
        .prefix("join-props-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .map_err(|e| fail(format!("cannot make a directory: {e}")))?;
    let root = dir.path().to_path_buf();
    // A repository: the search for `iamprune.toml` stops here.
    std::fs::create_dir_all(root.join(".git")).map_err(|e| fail(e.to_string()))?;
    for (name, text) in &project.files {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| fail(e.to_string()))?;
    }
    let settings = Settings {
        findings: if world.config.toml || !project.has_findings {
            Vec::new()
        } else {
            vec![root.join(render::FINDINGS)]
        },
        account: project.account.clone(),
        stack_name: project.stack_name.clone(),
        ..Settings::default()
    };
    let mut workspace = Workspace::new(settings);
    let checked = workspace
        .check_paths(std::slice::from_ref(&root), &|| {})
        .map_err(|e| fail(format!("{e}\n{}", describe(&project, None))))?;

    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for message in checked.iter().flat_map(|c| {
        c.messages
            .iter()
            .chain(c.reports.iter().flat_map(|r| &r.messages))
    }) {
        match message.level {
            Level::Error => errors.push(message.message.clone()),
            Level::Note => notes.push(message.message.clone()),
        }
    }
    if !errors.is_empty() {
        return Err(fail(format!(
            "the engine could not read the project:\n{}\n{}",
            errors.join("\n"),
            describe(&project, None)
        )));
    }
    let mut refused = 0;
    for report in checked.iter().flat_map(|c| &c.reports) {
        if report.fix.failed() {
            // The engine's own verification caught an unsound fix: nothing of the unit is written.
            refused += 1;
            continue;
        }
        fix_loop::write(&report.fix).map_err(|e| fail(e.to_string()))?;
    }

    let original: Vec<(PathBuf, String)> = project
        .files
        .iter()
        .filter(|(name, _)| project.sources.contains(name))
        .map(|(name, text)| (root.join(name), text.clone()))
        .collect();
    let mut fixed = Vec::new();
    for (path, _) in &original {
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        fixed.push((path.clone(), text));
    }
    let mut out = Fixed {
        project,
        original,
        fixed,
        before: BTreeMap::new(),
        after: BTreeMap::new(),
        notes,
        refused,
    };
    out.before = read::grants(world.format, &root, &out.original)
        .map_err(|e| out.fail(format!("the written project does not read back: {e}")))?;
    let written: BTreeMap<String, Grant> = world::written_grants(world).into_iter().collect();
    if out.before != written {
        return Err(out.fail(format!(
            "the project reads back as {:#?}, not as written {written:#?}",
            out.before
        )));
    }
    out.after = read::grants(world.format, &root, &out.fixed)
        .map_err(|e| out.fail(format!("the fixed project does not read back: {e}")))?;
    Ok(out)
}

/// Fixes the world's project and holds the result to the truth.
fn check(catalog: &Catalog, world: &World, stats: &Stats) -> Result<Fixed, TestCaseError> {
    let fixed = fix(catalog, world)?;
    if fixed.changed() {
        stats.narrowed.fetch_add(1, Ordering::Relaxed);
    }
    stats.refused.fetch_add(fixed.refused, Ordering::Relaxed);
    let (before, after) = (&fixed.before, &fixed.after);
    // Nothing new: each statement allows, in every environment, at most what it allowed.
    for sid in after.keys() {
        if !before.contains_key(sid) {
            return Err(fixed.fail(format!("the fix added statement {sid}")));
        }
    }
    for (sid, was) in before {
        let Some(now) = after.get(sid) else {
            continue;
        };
        for env in 0..world.envs.len() {
            let mut more = now.allowed(catalog, world, env);
            more.difference_with(&was.allowed(catalog, world, env));
            if !more.is_empty() {
                let names: Vec<&str> = more.iter().map(|id| catalog.name(id)).collect();
                return Err(fixed.fail(format!(
                    "statement {sid} now allows {names:?} in environment {env}, which it did not"
                )));
            }
        }
    }
    // Nothing used lost: every deployed principal may still do everything it did.
    for truth in render::truth(catalog, world) {
        let (_, effective) = render::permissions(catalog, world, after, &truth.deployed);
        let mut lost = truth.used.clone();
        lost.difference_with(&effective);
        if !lost.is_empty() {
            let names: Vec<&str> = lost.iter().map(|id| catalog.name(id)).collect();
            return Err(fixed.fail(format!(
                "{} used {names:?}, which the fix took away",
                truth.arn
            )));
        }
    }
    Ok(fixed)
}

/// Files and their texts.
type Texts = [(PathBuf, String)];

/// The project as text, and what the fix changed: what a failing case prints.
fn describe(project: &render::Project, fix: Option<(&Texts, &Texts)>) -> String {
    let mut out = String::new();
    for (name, text) in &project.files {
        let _ = write!(out, "--- {name}\n{text}");
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    if let Some(account) = &project.account {
        let _ = writeln!(out, "--- given on the command line: --account {account}");
    }
    if let Some(stack) = &project.stack_name {
        let _ = writeln!(out, "--- given on the command line: --stack-name {stack}");
    }
    if let Some((before, after)) = fix {
        for ((path, old), (_, new)) in before.iter().zip(after) {
            if old == new {
                let _ = writeln!(out, "--- the fix left {} as it was", file_name(path));
                continue;
            }
            let _ = writeln!(out, "--- the fix changed {}:", file_name(path));
            for change in diff_lines(old, new) {
                let _ = writeln!(out, "{change}");
            }
        }
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The lines only one of two texts has, in order: enough to see what a fix did to a small file.
fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let mut out = Vec::new();
    for line in &old {
        if !new.contains(line) {
            out.push(format!("-{line}"));
        }
    }
    for line in &new {
        if !old.contains(line) {
            out.push(format!("+{line}"));
        }
    }
    out
}

// The harness itself: small worlds whose outcome is known, so that a property that holds is not one
// that never had anything to check (a mapping the engine does not recognise, a fix never written).

/// One role in one analyzed account, with one policy granting `s3:GetObject` and `s3:PutObject`, of
/// which every principal used `s3:PutObject` only.
fn small_world(format: world::Format, managed: bool) -> World {
    World {
        format,
        envs: vec![world::Env {
            account: 0,
            extra_action: None,
        }],
        principals: vec![world::Principal {
            kind: world::Kind::Role,
            naming: world::Naming::Literal,
            groups: 0,
        }],
        groups: Vec::new(),
        policies: vec![world::Policy {
            statements: vec![vec![0, 1]],
            var_action: false,
            form: world::Form::Jsonencode,
            managed,
            targets: 1,
            boundary_of: 0,
            exported: false,
            outside_roles: 0,
            scp: false,
            style: 0,
            inline_too: 0,
        }],
        var_default: 0,
        env_default: false,
        stack_per_env: false,
        usage: world::Usage {
            masks: vec![0b10],
            analyzed: [true; 3],
            dropped: vec![false],
            service_level: false,
            unused_role_findings: false,
        },
        config: world::ConfigChoice {
            toml: true,
            // Without the account the source deploys to, nothing matched by name is narrowed.
            account: true,
            stack_name: false,
            map_principals: 0,
            map_groups: 0,
            map_sites: 0,
        },
    }
    .normalize()
}

const FORMATS: [world::Format; 3] = [
    world::Format::Terraform,
    world::Format::CloudFormationJson,
    world::Format::CloudFormationYaml,
];

/// Whether the fix took `s3:GetObject` out of the policy, after checking the fix was sound.
fn narrowed(world: &World) -> bool {
    let fixed =
        check(Catalog::embedded(), world, &Stats::default()).unwrap_or_else(|e| panic!("{e}"));
    let kept = fixed
        .after
        .get("P0S0")
        .is_some_and(|g| g.patterns.iter().any(|p| p == "s3:GetObject"));
    !kept
}

#[test]
fn the_harness_sees_what_a_fix_removes() {
    for format in FORMATS {
        for managed in [false, true] {
            assert!(
                narrowed(&small_world(format, managed)),
                "{format:?}, managed {managed}"
            );
        }
    }
}

#[test]
fn a_mapping_of_everyone_an_exported_policy_reaches_lets_it_be_narrowed() {
    for format in FORMATS {
        // Attached by another stack's role only.
        let mut world = small_world(format, true);
        world.policies[0].targets = 0;
        world.policies[0].exported = true;
        world.policies[0].outside_roles = 1;
        assert!(!narrowed(&world), "{format:?} without the mapping");
        world.config.map_sites = 1;
        assert!(narrowed(&world), "{format:?} with the mapping");
    }
}

#[test]
fn a_mapping_of_a_groups_outside_members_lets_its_policy_be_narrowed() {
    for format in FORMATS {
        let mut world = small_world(format, false);
        world.principals[0].kind = world::Kind::User;
        world.principals[0].groups = 1;
        world.groups = vec![world::Group {
            exclusive: false,
            outside_members: 1,
        }];
        world.policies[0].targets = 1 << 4;
        let world = world.normalize();
        assert!(!narrowed(&world), "{format:?} without the mapping");
        let mut mapped = world.clone();
        mapped.config.map_groups = 1;
        assert!(narrowed(&mapped), "{format:?} with the mapping");
    }
}

#[test]
fn a_mapping_of_every_deployment_of_a_computed_name_lets_its_policy_be_narrowed() {
    for format in FORMATS {
        let mut world = small_world(format, false);
        world.envs.push(world::Env {
            account: 0,
            extra_action: None,
        });
        let world = world.normalize();
        assert!(!narrowed(&world), "{format:?} without the mapping");
        let mut mapped = world.clone();
        mapped.config.map_principals = 1;
        assert!(narrowed(&mapped), "{format:?} with the mapping");
    }
}
#[test]
fn a_mapping_of_a_policy_names_it_as_the_engine_does() {
    use world::Form::{DataDoc, File, Heredoc, Jsonencode, Local};
    // Every spelling of a policy, reaching one role whose name the source does not tell: only a
    // mapping of the policy (by the name the engine gives its site) lets it be narrowed.
    let spellings = [
        (false, 0, Jsonencode),
        (false, 1, Jsonencode),
        (false, 2, Jsonencode),
        (false, 1, Heredoc),
        (false, 0, DataDoc),
        (true, 0, DataDoc),
        (false, 0, Local),
        (false, 0, File),
    ];
    for format in FORMATS {
        for (managed, style, form) in spellings {
            let mut world = small_world(format, managed);
            world.policies[0].style = style;
            world.policies[0].form = form;
            world.principals[0].naming = world::Naming::EnvVar;
            let world = world.normalize();
            let what = format!("{format:?}, managed {managed}, style {style}, {form:?}");
            assert!(!narrowed(&world), "{what}: narrowed without the mapping");
            let mut mapped = world.clone();
            mapped.config.map_sites = 1;
            assert!(narrowed(&mapped), "{what}: not narrowed with the mapping");
        }
    }
}
