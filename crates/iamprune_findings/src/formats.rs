//! Recognises each export format and turns its documents into per-principal sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use iamprune_syntax::{Node, NodeKind};
use serde_json::Value;

use crate::LoadOptions;
use crate::arn::PrincipalArn;
use crate::error::{self, FindingsError, quote};
use crate::json::{self, Doc, Obj};
use crate::model::{
    FormatKind, Principal, PrincipalFact, Recommendation, RecommendedAction, later,
};
use crate::read;
use crate::unused::UnusedActions;

mod fast;

/// What one source says about one service of its principal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mention {
    /// The source says no action of the service was used.
    pub whole_unused: bool,
    pub last_accessed: Option<String>,
    /// Each `svc:action` once whatever its case, since IAM action names ignore case, with the
    /// spelling of the source and the action's own last-accessed time.
    pub unused: UnusedActions,
    /// The actions (lower-case keys) the source has an opinion on. `None` for findings and
    /// simple lists, which judge every action of the service: what they do not list was used.
    /// A last-accessed report only tracks some actions and says nothing about the others.
    pub judged: Option<BTreeSet<String>>,
}

impl Mention {
    fn absorb(&mut self, other: Mention) {
        self.whole_unused |= other.whole_unused;
        self.last_accessed = later(self.last_accessed.take(), other.last_accessed.as_deref());
        for action in other.unused {
            self.unused.merge(action);
        }
        self.judged = match (self.judged.take(), other.judged) {
            (Some(mut judged), Some(more)) => {
                judged.extend(more);
                Some(judged)
            }
            // One of them judges every action of the service.
            _ => None,
        };
    }
}

/// One finding (or one simple list, or one last-accessed report) about one principal. Each
/// source votes on the services it mentions when sources are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub principal: Principal,
    pub mentions: Vec<(String, Mention)>,
    pub facts: Vec<PrincipalFact>,
    pub analyzed_at: Option<String>,
    pub updated_at: Option<String>,
    pub file: PathBuf,
    /// Which Access Analyzer finding this is an export of; `None` for simple lists and
    /// last-accessed reports.
    pub finding: Option<FindingMeta>,
}

impl Source {
    fn new(principal: Principal, file: &Path) -> Source {
        Source {
            principal,
            mentions: Vec::new(),
            facts: Vec::new(),
            analyzed_at: None,
            updated_at: None,
            file: file.to_path_buf(),
            finding: None,
        }
    }

    /// Adds what the source says of a service. Two entries for one service (details split in two, a
    /// list that names it twice) say together what each says: they are one mention, not two voters
    /// that disagree.
    pub fn mention(&mut self, (ns, mention): (String, Mention)) {
        match self.mentions.iter_mut().find(|(n, _)| *n == ns) {
            Some((_, existing)) => existing.absorb(mention),
            None => self.mentions.push((ns, mention)),
        }
    }

    /// Gives back the room its lists made for more: an organization's export keeps millions.
    pub fn shrink_to_fit(&mut self) {
        self.mentions.shrink_to_fit();
        for (_, mention) in &mut self.mentions {
            mention.unused.shrink_to_fit();
        }
        self.facts.shrink_to_fit();
    }

    /// Whether the source can make anything unused. A RESOLVED or ARCHIVED finding is kept only
    /// to tell that older exports of it no longer hold.
    pub fn is_active(&self) -> bool {
        self.finding.as_ref().is_none_or(|f| f.active)
    }
}

/// What tells exports of one finding apart from exports of another, and a newer export of a
/// finding from an older one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FindingMeta {
    /// The finding id; `None` when the export has none, and then it is a finding of its own.
    pub id: Option<String>,
    /// `ACTIVE`, `ARCHIVED` or `RESOLVED`.
    pub status: String,
    pub active: bool,
    /// A list-findings-v2 summary: the finding's status and times, not its details.
    pub summary: bool,
    /// An `UnusedPermission` finding: an analysis of every service the principal may use, in
    /// which a service that is not listed was used.
    pub unused_permission: bool,
}

/// Everything read from one file, applied to the set only when the whole file was read.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub sources: Vec<Source>,
    pub recommendations: Vec<Recommendation>,
    pub notes: Vec<String>,
    pub summaries_seen: bool,
}

struct Ctx<'a> {
    file: &'a Path,
    opts: &'a LoadOptions,
    batch: &'a mut Batch,
}

impl Ctx<'_> {
    fn note(&mut self, message: impl std::fmt::Display) {
        self.batch
            .notes
            .push(format!("{}: {message}", self.file.display()));
    }

    fn source(&self, principal: Principal) -> Source {
        Source::new(principal, self.file)
    }

    /// The principal given by the caller for formats that do not name one.
    fn given_principal(&self) -> Result<Option<PrincipalArn>, FindingsError> {
        let Some(raw) = self.opts.principal.as_deref() else {
            return Ok(None);
        };
        let raw = raw.trim();
        raw.parse::<PrincipalArn>().map(Some).map_err(|e| {
            error::whole_file(
                self.file,
                format!(
                    "the principal given with `--principal`, {}, is not an IAM principal ARN: {e}",
                    quote(raw)
                ),
            )
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Finding,
    Summary,
    FindingList,
    Recommendation,
    LastAccessed,
    SimpleEntry,
    EventBridge,
    SecurityHub,
}

impl Shape {
    fn describe(self) -> &'static str {
        match self {
            Shape::Finding => "a get-finding-v2 object",
            Shape::Summary => "a finding summary",
            Shape::FindingList => "a list-findings-v2 object",
            Shape::Recommendation => "a get-finding-recommendation object",
            Shape::LastAccessed => "a get-service-last-accessed-details object",
            Shape::SimpleEntry => "a simple-list entry",
            Shape::EventBridge => "an EventBridge event",
            Shape::SecurityHub => "a Security Hub finding",
        }
    }
}

fn classify(m: Obj<'_>) -> Option<Shape> {
    let has = |k: &str| m.contains_key(k);
    if has("detail-type") || m.get("source").and_then(Node::as_str) == Some("aws.access-analyzer") {
        return Some(Shape::EventBridge);
    }
    if has("Findings") || (has("SchemaVersion") && has("ProductArn")) {
        return Some(Shape::SecurityHub);
    }
    if has("findingDetails") {
        return Some(Shape::Finding);
    }
    if has("findings") {
        return Some(Shape::FindingList);
    }
    if has("recommendedSteps") || has("recommendationType") {
        return Some(Shape::Recommendation);
    }
    if has("ServicesLastAccessed") || has("JobStatus") {
        return Some(Shape::LastAccessed);
    }
    if has("serviceNamespace") {
        return Some(Shape::SimpleEntry);
    }
    if has("findingType") || (has("id") && has("resourceType")) {
        return Some(Shape::Summary);
    }
    None
}

const EXPECTED: &str = "expected the JSON output of `aws accessanalyzer get-finding-v2`, `list-findings-v2` or \
     `get-finding-recommendation`, of `aws iam get-service-last-accessed-details`, or a simple list \
     like [{\"serviceNamespace\": \"s3\", \"actions\": [\"GetBucketAcl\"]}]";

/// Reads every JSON document of the contents of `file`, read from `reader` a window at a time: one
/// document, or several in a row (JSON Lines, or outputs concatenated with `cat`). Returns the
/// format of the first one.
pub(crate) fn parse_reader(
    reader: impl std::io::Read,
    file: &Path,
    opts: &LoadOptions,
    batch: &mut Batch,
) -> Result<FormatKind, FindingsError> {
    let mut ctx = Ctx { file, opts, batch };
    let mut first = None;
    // The lines of each window read as plain findings on every core first; then each document in
    // order, as if read one by one, takes its line's source or goes to the readers below.
    let lines = std::cell::RefCell::new(ReadLines::default());
    read::for_each_document(
        reader,
        file,
        |window| lines.borrow_mut().read(window, file),
        |doc| {
            let read = lines.borrow_mut().take(doc);
            let read = read.unwrap_or_else(|| fast::read(doc.slice(), file));
            let kind = match read {
                Some(source) => {
                    ctx.batch.sources.push(source);
                    FormatKind::GetFindingV2
                }
                // A line the fast reader leaves is checked first: it may not be a document at all.
                None if !doc.checked => return Ok(false),
                None => parse_document(doc, &doc.tree()?, &mut ctx)?,
            };
            first.get_or_insert(kind);
            Ok(true)
        },
    )?;
    first.ok_or_else(|| error::whole_file(file, format!("the file is empty: {EXPECTED}")))
}

/// The sources the whole lines of a window make as plain findings, read in parallel, by where each
/// line starts in the window.
#[derive(Default)]
struct ReadLines {
    read: std::collections::VecDeque<(usize, Option<Source>)>,
}

impl ReadLines {
    /// Reads every line of `window` that ends in a line break; what the last window left is
    /// dropped (a document it cut is offered again at another place).
    fn read(&mut self, window: &str, file: &Path) {
        use rayon::prelude::*;
        let mut lines = Vec::new();
        let mut start = 0;
        while let Some(end) = window.get(start..).and_then(|rest| rest.find('\n')) {
            let line = &window[start..start + end];
            // What `documents_in` offers: the line from its first non-blank character.
            let skipped = line.len() - line.trim_start_matches([' ', '\t', '\r']).len();
            if skipped < line.len() {
                lines.push((start + skipped, &line[skipped..]));
            }
            start += end + 1;
        }
        self.read = lines
            .into_par_iter()
            .map(|(at, line)| (at, fast::read(line, file)))
            .collect::<Vec<_>>()
            .into();
    }

    /// What reading the line `doc` is gave, when it was read as one.
    fn take(&mut self, doc: &Doc<'_>) -> Option<Option<Source>> {
        if doc.checked {
            return None;
        }
        while let Some((at, _)) = self.read.front() {
            if *at >= doc.start {
                break;
            }
            self.read.pop_front();
        }
        match self.read.front() {
            Some((at, _)) if *at == doc.start => self.read.pop_front().map(|(_, s)| s),
            _ => None,
        }
    }
}

fn parse_document(
    doc: &Doc<'_>,
    value: &Node,
    ctx: &mut Ctx<'_>,
) -> Result<FormatKind, FindingsError> {
    if let Some(m) = Obj::of(value) {
        let shape = classify(m).ok_or_else(|| unknown_object(doc, m))?;
        return parse_shape(doc, m, shape, ctx);
    }
    match value.as_array() {
        Some(items) => parse_array(doc, items, ctx),
        None => Err(doc.err(
            value,
            format!("found {} at the top level: {EXPECTED}", value.type_name()),
        )),
    }
}

fn unknown_object(doc: &Doc<'_>, m: Obj<'_>) -> FindingsError {
    let keys: Vec<String> = m.fields().take(6).map(|(k, _)| quote(k)).collect();
    let keys = if keys.is_empty() {
        "an empty object".to_string()
    } else {
        format!("an object with keys {}", keys.join(", "))
    };
    doc.err(
        m.node,
        format!("unrecognised document ({keys}): {EXPECTED}"),
    )
}

fn parse_shape(
    doc: &Doc<'_>,
    m: Obj<'_>,
    shape: Shape,
    ctx: &mut Ctx<'_>,
) -> Result<FormatKind, FindingsError> {
    let kind = match shape {
        Shape::Finding => {
            parse_finding(doc, m, ctx)?;
            FormatKind::GetFindingV2
        }
        Shape::Summary => {
            let mut skipped = Vec::new();
            parse_summary(doc, m, ctx, &mut skipped)?;
            note_skipped_summaries(ctx, &skipped);
            ctx.batch.summaries_seen = true;
            FormatKind::ListFindingsV2
        }
        Shape::FindingList => {
            parse_finding_list(doc, m, ctx)?;
            FormatKind::ListFindingsV2
        }
        Shape::Recommendation => {
            parse_recommendation(doc, m, ctx)?;
            FormatKind::FindingRecommendation
        }
        Shape::LastAccessed => {
            parse_last_accessed(doc, m, ctx)?;
            FormatKind::ServiceLastAccessed
        }
        Shape::SimpleEntry => {
            let mut source = ctx.source(simple_list_principal(ctx)?);
            source.mention(parse_service_entry(doc, m)?);
            ctx.batch.sources.push(source);
            FormatKind::SimpleList
        }
        Shape::EventBridge => return Err(reject_event(doc, m)),
        Shape::SecurityHub => return Err(reject_security_hub(doc, m)),
    };
    Ok(kind)
}

fn parse_array(
    doc: &Doc<'_>,
    items: &[Node],
    ctx: &mut Ctx<'_>,
) -> Result<FormatKind, FindingsError> {
    let Some(first) = items.first() else {
        ctx.note("an empty array: nothing to load");
        return Ok(FormatKind::SimpleList);
    };
    let first_obj = doc.object(first, "a finding or a simple-list entry")?;
    let shape = classify(first_obj).ok_or_else(|| unknown_object(doc, first_obj))?;
    if shape == Shape::SimpleEntry {
        let mut source = ctx.source(simple_list_principal(ctx)?);
        for item in items {
            let m = doc.object(
                item,
                "a simple-list entry {\"serviceNamespace\": ..., \"actions\": [...]}",
            )?;
            source.mention(parse_service_entry(doc, m)?);
        }
        ctx.batch.sources.push(source);
        return Ok(FormatKind::SimpleList);
    }
    let mut skipped = Vec::new();
    // Summaries are gathered so that the skipped ones make one note for the whole array.
    let mut kind = FormatKind::ListFindingsV2;
    for item in items {
        let m = doc.object(item, shape.describe())?;
        if classify(m) != Some(shape) {
            return Err(doc.err(
                item,
                format!(
                    "expected {} like the first element of the array",
                    shape.describe()
                ),
            ));
        }
        if shape == Shape::Summary {
            parse_summary(doc, m, ctx, &mut skipped)?;
            ctx.batch.summaries_seen = true;
        } else {
            kind = parse_shape(doc, m, shape, ctx)?;
        }
    }
    note_skipped_summaries(ctx, &skipped);
    Ok(kind)
}

fn reject_event(doc: &Doc<'_>, m: Obj<'_>) -> FindingsError {
    let id = m
        .get("detail")
        .and_then(|d| json::member(d, "findingId"))
        .and_then(Node::as_str);
    doc.err(
        m.node,
        format!(
            "this is an EventBridge event about an Access Analyzer finding: it carries counts of unused \
             services and actions, not their names; export the finding with `aws accessanalyzer \
             get-finding-v2 --analyzer-arn ARN --id {}` instead",
            id.map_or("ID".to_string(), sanitize_id)
        ),
    )
}

fn reject_security_hub(doc: &Doc<'_>, m: Obj<'_>) -> FindingsError {
    let first = m
        .get("Findings")
        .and_then(Node::as_array)
        .and_then(|f| f.first());
    let product_fields = m
        .get("ProductFields")
        .or_else(|| first.and_then(|f| json::member(f, "ProductFields")));
    let id = product_fields
        .and_then(|p| json::member(p, "findingId"))
        .and_then(Node::as_str);
    doc.err(
        m.node,
        format!(
            "this is a Security Hub (ASFF) finding from Access Analyzer: it carries counts of unused \
             services and actions, not their names; export the finding with `aws accessanalyzer \
             get-finding-v2 --analyzer-arn ARN --id {}` instead",
            id.map_or("ID".to_string(), sanitize_id)
        ),
    )
}

/// A finding id is put into a suggested command line; anything but a plain id is left out.
fn sanitize_id(id: &str) -> String {
    if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        id.to_string()
    } else {
        "ID".to_string()
    }
}

fn simple_list_principal(ctx: &Ctx<'_>) -> Result<Principal, FindingsError> {
    Ok(ctx
        .given_principal()?
        .map_or(Principal::Any, Principal::Arn))
}

/// The principal a finding names in `resource`, else the one the caller gave.
fn finding_principal(
    doc: &Doc<'_>,
    m: Obj<'_>,
    ctx: &Ctx<'_>,
    what: &str,
) -> Result<Option<PrincipalArn>, FindingsError> {
    match doc.opt_str(m, "resource")? {
        Some(resource) => resource.parse::<PrincipalArn>().map(Some).map_err(|e| {
            doc.err_at(
                m,
                "resource",
                format!(
                    "`resource` {} is not an IAM principal ARN: {e}",
                    quote(resource)
                ),
            )
        }),
        None => match ctx.given_principal()? {
            Some(p) => Ok(Some(p)),
            None => Err(doc.err(
                m.node,
                format!("{what} has no `resource`: pass `--principal ARN` to say whom it is about"),
            )),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Active,
    Inactive,
}

fn finding_status(
    doc: &Doc<'_>,
    m: Obj<'_>,
    what: &str,
) -> Result<(Status, String), FindingsError> {
    let status = doc.req_str(m, "status", what)?;
    match status {
        "ACTIVE" => Ok((Status::Active, status.to_string())),
        "ARCHIVED" | "RESOLVED" => Ok((Status::Inactive, status.to_string())),
        other => Err(doc.err_at(
            m,
            "status",
            format!(
                "expected `status` to be ACTIVE, ARCHIVED or RESOLVED, found {}",
                quote(other)
            ),
        )),
    }
}

/// The finding types of unused access that are read; `findings pull` asks for these.
pub const UNUSED_TYPES: [&str; 4] = [
    "UnusedPermission",
    "UnusedIAMRole",
    "UnusedIAMUserAccessKey",
    "UnusedIAMUserPassword",
];

fn parse_finding(doc: &Doc<'_>, m: Obj<'_>, ctx: &mut Ctx<'_>) -> Result<(), FindingsError> {
    let given_id = doc.opt_str(m, "id")?;
    let id = given_id.unwrap_or("(no id)");
    let finding_type = doc.opt_str(m, "findingType")?;
    let (status, status_text) = finding_status(doc, m, "the finding")?;
    let Some(details) = doc.opt_array(m, "findingDetails")? else {
        return Err(doc.err_at(
            m,
            "findingDetails",
            "the finding has no `findingDetails` array",
        ));
    };
    let resource_text = doc.opt_str(m, "resource")?.unwrap_or("(no resource)");
    if let Some(t) = finding_type {
        if !UNUSED_TYPES.contains(&t) {
            ctx.note(format!(
                "skipped finding {} for {}: findingType {} is not an unused-access finding",
                quote(id),
                quote(resource_text),
                quote(t)
            ));
            return Ok(());
        }
    }
    let permission_details = details.iter().any(|d| {
        json::member(d, "unusedPermissionDetails")
            .is_some_and(|v| !matches!(v.kind, NodeKind::Null))
    });
    let meta = FindingMeta {
        id: given_id.map(str::to_string),
        status: status_text.clone(),
        active: status == Status::Active,
        summary: false,
        unused_permission: finding_type == Some("UnusedPermission")
            || (finding_type.is_none() && permission_details),
    };
    if status == Status::Inactive {
        ctx.note(format!(
            "skipped finding {} for {}: status is {status_text}",
            quote(id),
            quote(resource_text)
        ));
        push_inactive(doc, m, ctx, meta);
        return Ok(());
    }
    let principal = finding_principal(doc, m, ctx, "the finding")?;
    let mut source = ctx.source(principal.map_or(Principal::Any, Principal::Arn));
    source.analyzed_at = doc.opt_time(m, "analyzedAt")?;
    source.updated_at = doc.opt_time(m, "updatedAt")?;
    source.finding = Some(meta);

    for detail in details {
        let dm = doc.object(detail, "a finding detail")?;
        for (key, value) in dm.fields() {
            if matches!(value.kind, NodeKind::Null) {
                continue;
            }
            match key {
                "unusedPermissionDetails" => {
                    let o = doc.object(value, "`unusedPermissionDetails`")?;
                    source.mention(parse_service_entry(doc, o)?);
                }
                "unusedIamRoleDetails" => {
                    let o = doc.object(value, "`unusedIamRoleDetails`")?;
                    source.facts.push(PrincipalFact::UnusedIAMRole {
                        last_accessed: doc.opt_time(o, "lastAccessed")?,
                    });
                }
                "unusedIamUserAccessKeyDetails" => {
                    let o = doc.object(value, "`unusedIamUserAccessKeyDetails`")?;
                    source.facts.push(PrincipalFact::UnusedIAMUserAccessKey {
                        access_key_id: doc
                            .req_str(o, "accessKeyId", "`unusedIamUserAccessKeyDetails`")?
                            .to_string(),
                        last_accessed: doc.opt_time(o, "lastAccessed")?,
                    });
                }
                "unusedIamUserPasswordDetails" => {
                    let o = doc.object(value, "`unusedIamUserPasswordDetails`")?;
                    source.facts.push(PrincipalFact::UnusedIAMUserPassword {
                        last_accessed: doc.opt_time(o, "lastAccessed")?,
                    });
                }
                other => ctx.note(format!(
                    "finding {}: ignored finding detail {}, which is not about unused access",
                    quote(id),
                    quote(other)
                )),
            }
        }
    }

    match finding_type {
        Some("UnusedIAMRole")
            if !source
                .facts
                .iter()
                .any(|f| matches!(f, PrincipalFact::UnusedIAMRole { .. })) =>
        {
            source.facts.push(PrincipalFact::UnusedIAMRole {
                last_accessed: None,
            });
        }
        Some("UnusedIAMUserPassword")
            if !source
                .facts
                .iter()
                .any(|f| matches!(f, PrincipalFact::UnusedIAMUserPassword { .. })) =>
        {
            source.facts.push(PrincipalFact::UnusedIAMUserPassword {
                last_accessed: None,
            });
        }
        Some("UnusedIAMUserAccessKey")
            if !source
                .facts
                .iter()
                .any(|f| matches!(f, PrincipalFact::UnusedIAMUserAccessKey { .. })) =>
        {
            return Err(doc.err_at(
                m,
                "findingDetails",
                "an UnusedIAMUserAccessKey finding without `unusedIamUserAccessKeyDetails`: the access key id is unknown",
            ));
        }
        _ => {}
    }

    if let Some(error) = doc.opt_str(m, "error")? {
        ctx.note(format!(
            "finding {} reports an analyzer error: {}",
            quote(id),
            quote(error)
        ));
    }
    if doc.opt_str(m, "nextToken")?.is_some() {
        ctx.note(format!(
            "finding {} has more detail pages (`nextToken`); only the services in this page were read",
            quote(id)
        ));
    }
    ctx.batch.sources.push(source);
    Ok(())
}

/// Keeps a RESOLVED or ARCHIVED finding (or summary) as a source with no mentions: a newer
/// inactive export of a finding tells that what an older export of it reported unused no longer
/// holds. It is read leniently, as it was skipped before: a resource, principal or time it
/// cannot read leaves the finding out (or its time unknown) rather than failing the file.
fn push_inactive(doc: &Doc<'_>, m: Obj<'_>, ctx: &mut Ctx<'_>, meta: FindingMeta) {
    let principal = match doc.opt_str(m, "resource") {
        Ok(Some(resource)) => resource.parse::<PrincipalArn>().ok(),
        Ok(None) => ctx.given_principal().ok().flatten(),
        Err(_) => None,
    };
    let Some(principal) = principal else {
        return;
    };
    let mut source = ctx.source(Principal::Arn(principal));
    // An unknown time cannot be ordered against the other exports, which keeps the cautious
    // reading: the finding counts as RESOLVED or ARCHIVED beside them.
    source.analyzed_at = doc.opt_time(m, "analyzedAt").ok().flatten();
    source.updated_at = doc.opt_time(m, "updatedAt").ok().flatten();
    source.finding = Some(meta);
    ctx.batch.sources.push(source);
}

/// One `{"serviceNamespace": ..., "actions": [...]}` entry: a detail of get-finding-v2, or an
/// element of the simple list. No `actions` (absent, `null` or empty) means the whole service.
fn parse_service_entry(doc: &Doc<'_>, m: Obj<'_>) -> Result<(String, Mention), FindingsError> {
    let ns_raw = doc.req_str(m, "serviceNamespace", "the entry")?;
    let ns = normalise_service(ns_raw).map_err(|msg| doc.err_at(m, "serviceNamespace", msg))?;
    let actions = doc.opt_array(m, "actions")?;
    let mut mention = Mention {
        whole_unused: actions.is_none_or(|a| a.is_empty()),
        last_accessed: doc.opt_time(m, "lastAccessed")?,
        unused: UnusedActions::default(),
        judged: None,
    };
    for action in actions.into_iter().flatten() {
        let (name, last, name_at) = match (&action.kind, Obj::of(action)) {
            (NodeKind::String(s), _) => (s.as_str(), None, action),
            (_, Some(am)) => (
                doc.req_str(am, "action", "the action entry")?,
                doc.opt_time(am, "lastAccessed")?,
                am.get("action").unwrap_or(action),
            ),
            _ => {
                return Err(doc.err(
                    action,
                    format!(
                        "expected an action name or an object {{\"action\": ...}}, found {}",
                        action.type_name()
                    ),
                ));
            }
        };
        let full = normalise_action(&ns, name).map_err(|msg| doc.err(name_at, msg))?;
        mention.unused.insert(full, last);
    }
    Ok((ns, mention))
}

fn normalise_service(raw: &str) -> Result<String, String> {
    let ns = raw.to_ascii_lowercase();
    if ns.is_empty()
        || !ns
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!(
            "{} is not a service namespace (expected letters, digits and `-`, like `s3`)",
            quote(raw)
        ));
    }
    Ok(ns)
}

/// `GetBucketAcl` or `s3:GetBucketAcl` in service `s3` gives `s3:GetBucketAcl`.
fn normalise_action(ns: &str, name: &str) -> Result<String, String> {
    let bare = match name.split_once(':') {
        Some((service, rest)) => {
            if !service.eq_ignore_ascii_case(ns) {
                return Err(format!(
                    "action {} belongs to service {}, not to `{ns}` of its entry",
                    quote(name),
                    quote(service)
                ));
            }
            rest
        }
        None => name,
    };
    if bare.is_empty() {
        return Err(format!("action {} has an empty name", quote(name)));
    }
    // Once per unused action of an export: one pass over the bytes, and the reason only when the
    // name does not read.
    if !bare
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        if bare.contains(['*', '?']) {
            return Err(format!(
                "action {} is a wildcard: list each unused action by its name",
                quote(name)
            ));
        }
        return Err(format!("{} is not an IAM action name", quote(name)));
    }
    // Once per unused action of an export: no formatting machinery.
    let mut action = String::with_capacity(ns.len() + 1 + bare.len());
    action.push_str(ns);
    action.push(':');
    action.push_str(bare);
    Ok(action)
}

fn parse_finding_list(doc: &Doc<'_>, m: Obj<'_>, ctx: &mut Ctx<'_>) -> Result<(), FindingsError> {
    let Some(findings) = doc.opt_array(m, "findings")? else {
        return Err(doc.err_at(
            m,
            "findings",
            "expected `findings` to be an array of finding summaries",
        ));
    };
    let mut skipped = Vec::new();
    for item in findings {
        let s = doc.object(item, "a finding summary")?;
        parse_summary(doc, s, ctx, &mut skipped)?;
    }
    note_skipped_summaries(ctx, &skipped);
    if doc.opt_str(m, "nextToken")?.is_some() {
        ctx.note("the list has more pages (`nextToken`); only this page was read");
    }
    ctx.batch.summaries_seen = true;
    Ok(())
}

fn parse_summary(
    doc: &Doc<'_>,
    m: Obj<'_>,
    ctx: &mut Ctx<'_>,
    skipped: &mut Vec<String>,
) -> Result<(), FindingsError> {
    let given_id = doc.opt_str(m, "id")?;
    let id = given_id.unwrap_or("(no id)");
    let (status, status_text) = finding_status(doc, m, "the finding summary")?;
    let finding_type = doc.opt_str(m, "findingType")?;
    let resource = doc.opt_str(m, "resource")?;
    let finding_type = match finding_type {
        Some(t) if UNUSED_TYPES.contains(&t) => t,
        Some(t) => {
            skipped.push(format!("{} ({t})", quote(id)));
            return Ok(());
        }
        None => {
            skipped.push(format!("{} (no findingType)", quote(id)));
            return Ok(());
        }
    };
    let meta = FindingMeta {
        id: given_id.map(str::to_string),
        status: status_text.clone(),
        active: status == Status::Active,
        summary: true,
        unused_permission: finding_type == "UnusedPermission",
    };
    if status == Status::Inactive {
        skipped.push(format!("{} ({status_text})", quote(id)));
        push_inactive(doc, m, ctx, meta);
        return Ok(());
    }
    let Some(resource) = resource else {
        skipped.push(format!("{} (no resource)", quote(id)));
        return Ok(());
    };
    let arn = resource.parse::<PrincipalArn>().map_err(|e| {
        doc.err_at(
            m,
            "resource",
            format!(
                "`resource` {} is not an IAM principal ARN: {e}",
                quote(resource)
            ),
        )
    })?;
    let mut source = ctx.source(Principal::Arn(arn));
    source.analyzed_at = doc.opt_time(m, "analyzedAt")?;
    source.updated_at = doc.opt_time(m, "updatedAt")?;
    source.finding = Some(meta);
    source.facts.push(PrincipalFact::SummaryOnly {
        finding_type: finding_type.to_string(),
    });
    ctx.batch.sources.push(source);
    Ok(())
}

fn note_skipped_summaries(ctx: &mut Ctx<'_>, skipped: &[String]) {
    const SHOWN: usize = 5;
    if skipped.is_empty() {
        return;
    }
    let mut list = skipped
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if skipped.len() > SHOWN {
        list.push_str(&format!(" and {} more", skipped.len() - SHOWN));
    }
    ctx.note(format!(
        "skipped finding summaries that are not active unused-access findings ({}): {list}",
        skipped.len()
    ));
}

fn parse_recommendation(doc: &Doc<'_>, m: Obj<'_>, ctx: &mut Ctx<'_>) -> Result<(), FindingsError> {
    if let Some(t) = doc.opt_str(m, "recommendationType")? {
        // The API model spells it `UnusedPermissionRecommendation`; the CLI has been seen printing
        // `UNUSED_PERMISSION_RECOMMENDATION`.
        if t != "UnusedPermissionRecommendation" && t != "UNUSED_PERMISSION_RECOMMENDATION" {
            return Err(doc.err_at(
                m,
                "recommendationType",
                format!(
                    "unsupported recommendationType {}: expected UnusedPermissionRecommendation",
                    quote(t)
                ),
            ));
        }
    }
    let status = doc.req_str(m, "status", "the recommendation")?;
    let principal = match doc.opt_str(m, "resourceArn")? {
        Some(arn) => Some(arn.to_string()),
        None => ctx.opts.principal.as_deref().map(|p| p.trim().to_string()),
    };
    let about = principal
        .as_deref()
        .map_or_else(String::new, |p| format!(" for {}", quote(p)));
    match status {
        "SUCCEEDED" => {}
        "IN_PROGRESS" => {
            ctx.note(format!(
                "recommendation{about} still in progress, export again later"
            ));
            return Ok(());
        }
        "FAILED" => {
            let error = doc.opt_object(m, "error")?;
            let (code, message) = match error {
                Some(e) => (doc.opt_str(e, "code")?, doc.opt_str(e, "message")?),
                None => (None, None),
            };
            ctx.note(format!(
                "recommendation{about} failed: {}: {}",
                code.unwrap_or("no error code"),
                message.unwrap_or("no error message")
            ));
            return Ok(());
        }
        other => {
            return Err(doc.err_at(
                m,
                "status",
                format!(
                    "expected `status` to be SUCCEEDED, IN_PROGRESS or FAILED, found {}",
                    quote(other)
                ),
            ));
        }
    }
    let steps = doc.opt_array(m, "recommendedSteps")?;
    if steps.is_none_or(|s| s.is_empty()) {
        ctx.note(format!("recommendation{about} succeeded with no steps"));
    }
    for step in steps.into_iter().flatten() {
        let sm = doc.object(step, "a recommended step")?;
        for (key, value) in sm.fields() {
            if matches!(value.kind, NodeKind::Null) {
                continue;
            }
            if key != "unusedPermissionsRecommendedStep" {
                ctx.note(format!(
                    "ignored recommended step of unknown kind {}",
                    quote(key)
                ));
                continue;
            }
            let o = doc.object(value, "`unusedPermissionsRecommendedStep`")?;
            let action = match doc.req_str(o, "recommendedAction", "the recommended step")? {
                "CREATE_POLICY" => RecommendedAction::CreatePolicy,
                "DETACH_POLICY" => RecommendedAction::DetachPolicy,
                other => {
                    return Err(doc.err_at(
                        o,
                        "recommendedAction",
                        format!(
                            "expected `recommendedAction` to be CREATE_POLICY or DETACH_POLICY, found {}",
                            quote(other)
                        ),
                    ));
                }
            };
            let existing = doc.req_str(o, "existingPolicyId", "the recommended step")?;
            let policy = doc.opt_str(o, "recommendedPolicy")?;
            if let Some(text) = policy {
                if let Err(e) = serde_json::from_str::<Value>(text) {
                    return Err(doc.err_at(
                        o,
                        "recommendedPolicy",
                        format!("`recommendedPolicy` is not a JSON policy document: {e}"),
                    ));
                }
            }
            ctx.batch.recommendations.push(Recommendation {
                principal: principal.clone(),
                existing_policy_id: existing.to_string(),
                action,
                recommended_policy: policy.map(str::to_string),
                policy_updated_at: doc.opt_time(o, "policyUpdatedAt")?,
                source: ctx.file.to_path_buf(),
            });
        }
    }
    if doc.opt_str(m, "nextToken")?.is_some() {
        ctx.note("the recommendation has more pages (`nextToken`); only this page was read");
    }
    Ok(())
}

struct TrackedService<'v> {
    ns: String,
    total: Option<u64>,
    last_authenticated: Option<String>,
    entity: Option<(&'v str, usize)>,
    /// Action names with whether they were used.
    tracked: Vec<(String, bool)>,
    has_tracked_list: bool,
    /// The service's object, where an error about its fields belongs.
    entry: Obj<'v>,
}

fn parse_last_accessed(doc: &Doc<'_>, m: Obj<'_>, ctx: &mut Ctx<'_>) -> Result<(), FindingsError> {
    let status = doc.req_str(m, "JobStatus", "the last-accessed report")?;
    match status {
        "COMPLETED" => {}
        "IN_PROGRESS" => {
            return Err(doc.err_at(
                m,
                "JobStatus",
                "the last-accessed job is still IN_PROGRESS: run `aws iam get-service-last-accessed-details` \
                 again once it is COMPLETED",
            ));
        }
        "FAILED" => {
            let (code, message) = match doc.opt_object(m, "Error")? {
                Some(e) => (doc.opt_str(e, "Code")?, doc.opt_str(e, "Message")?),
                None => (None, None),
            };
            return Err(doc.err_at(
                m,
                "JobStatus",
                format!(
                    "the last-accessed job FAILED: {}: {}",
                    code.unwrap_or("no error code"),
                    message.map_or("no error message".to_string(), quote)
                ),
            ));
        }
        other => {
            return Err(doc.err_at(
                m,
                "JobStatus",
                format!(
                    "expected `JobStatus` to be COMPLETED, IN_PROGRESS or FAILED, found {}",
                    quote(other)
                ),
            ));
        }
    }
    let Some(services) = doc.opt_array(m, "ServicesLastAccessed")? else {
        return Err(doc.err_at(
            m,
            "ServicesLastAccessed",
            "the last-accessed report has no `ServicesLastAccessed` array",
        ));
    };

    let mut read = Vec::with_capacity(services.len());
    for (i, service) in services.iter().enumerate() {
        let sm = doc.object(service, "a service entry")?;
        let ns_raw = doc.req_str(sm, "ServiceNamespace", "the service entry")?;
        let ns =
            normalise_service(ns_raw).map_err(|msg| doc.err_at(sm, "ServiceNamespace", msg))?;
        let list = doc.opt_array(sm, "TrackedActionsLastAccessed")?;
        let mut tracked = Vec::new();
        for action in list.into_iter().flatten() {
            let am = doc.object(action, "a tracked action")?;
            let name = doc.req_str(am, "ActionName", "the tracked action")?;
            let full =
                normalise_action(&ns, name).map_err(|msg| doc.err_at(am, "ActionName", msg))?;
            let used = doc.opt_time(am, "LastAccessedTime")?.is_some();
            tracked.push((full, used));
        }
        read.push(TrackedService {
            ns,
            total: doc.opt_u64(sm, "TotalAuthenticatedEntities")?,
            last_authenticated: doc.opt_time(sm, "LastAuthenticated")?,
            entity: doc.opt_str(sm, "LastAuthenticatedEntity")?.map(|e| (e, i)),
            tracked,
            has_tracked_list: list.is_some(),
            entry: sm,
        });
    }

    let action_level = match doc.opt_str(m, "JobType")? {
        Some("ACTION_LEVEL") => true,
        Some("SERVICE_LEVEL") => false,
        // Older outputs omit JobType; only action-level jobs have tracked-action lists.
        None => read.iter().any(|s| s.has_tracked_list),
        Some(other) => {
            return Err(doc.err_at(
                m,
                "JobType",
                format!(
                    "expected `JobType` to be ACTION_LEVEL or SERVICE_LEVEL, found {}",
                    quote(other)
                ),
            ));
        }
    };
    if !action_level {
        ctx.note(
            "a SERVICE_LEVEL last-accessed job: only whole unused services were read; generate the job \
             with `--granularity ACTION_LEVEL` for unused actions",
        );
    }
    if doc.opt_bool(m, "IsTruncated")? == Some(true) {
        ctx.note("the last-accessed report is truncated (`IsTruncated`); only the services in it were read");
    }

    let principal = match ctx.given_principal()? {
        Some(p) => p,
        None => last_accessed_principal(doc, m, &read, ctx)?,
    };
    let mut source = ctx.source(Principal::Arn(principal));
    source.analyzed_at = doc.opt_time(m, "JobCompletionDate")?;
    for service in read {
        // A service that lists a used action was used, whatever its entity count says.
        let any_used = service.tracked.iter().any(|(_, used)| *used);
        let whole_unused = service.total == Some(0) && !any_used;
        let mut mention = Mention {
            whole_unused,
            last_accessed: service.last_authenticated,
            unused: UnusedActions::default(),
            judged: Some(BTreeSet::new()),
        };
        if action_level && !whole_unused {
            let mut judged = BTreeSet::new();
            for (full, used) in service.tracked {
                let key = full.to_ascii_lowercase();
                judged.insert(key.clone());
                if !used {
                    mention.unused.insert(full, None);
                }
            }
            mention.judged = Some(judged);
        }
        // A used service still votes: against "the whole service is unused", and on the
        // actions it tracks.
        source.mention((service.ns, mention));
    }
    ctx.batch.sources.push(source);
    Ok(())
}

/// A report generated for a role or user names that entity as the one that used each service;
/// with a single entity throughout, it is taken as the principal.
fn last_accessed_principal(
    doc: &Doc<'_>,
    report: Obj<'_>,
    read: &[TrackedService<'_>],
    ctx: &mut Ctx<'_>,
) -> Result<PrincipalArn, FindingsError> {
    let mut entities: Vec<(&str, usize)> = read.iter().filter_map(|s| s.entity).collect();
    entities.sort_unstable();
    entities.dedup_by(|a, b| a.0 == b.0);
    match entities.as_slice() {
        [(entity, index)] => {
            let arn = entity.parse::<PrincipalArn>().map_err(|e| {
                let at = read.get(*index).map_or(report, |s| s.entry);
                doc.err_at(
                    at,
                    "LastAuthenticatedEntity",
                    format!("`LastAuthenticatedEntity` {} is not an IAM principal ARN: {e}", quote(entity)),
                )
            })?;
            ctx.note(format!(
                "the principal was taken from `LastAuthenticatedEntity` {}; pass `--principal` if the job \
                 was generated for a group or a policy",
                quote(entity)
            ));
            Ok(arn)
        }
        [] => Err(doc.err_at(
            report,
            "ServicesLastAccessed",
            "the last-accessed report does not say which principal it is about: pass `--principal ARN`",
        )),
        several => {
            let names: Vec<String> = several.iter().take(3).map(|(e, _)| quote(e)).collect();
            Err(doc.err_at(
                report,
                "ServicesLastAccessed",
                format!(
                    "the last-accessed report names several entities ({}): pass `--principal ARN` to say \
                     which principal it is about",
                    names.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_normalise() {
        assert_eq!(
            normalise_action("s3", "GetBucketAcl").as_deref(),
            Ok("s3:GetBucketAcl")
        );
        assert_eq!(
            normalise_action("s3", "S3:GetBucketAcl").as_deref(),
            Ok("s3:GetBucketAcl")
        );
        assert!(normalise_action("s3", "ec2:RunInstances").is_err());
        assert!(normalise_action("s3", "s3:").is_err());
        assert!(normalise_action("s3", "Get*").is_err());
        assert!(normalise_action("s3", "Get Bucket").is_err());
        assert!(normalise_action("s3", "s3:a:b").is_err());
    }

    #[test]
    fn service_names_normalise() {
        assert_eq!(normalise_service("S3").as_deref(), Ok("s3"));
        assert_eq!(
            normalise_service("s3-object-lambda").as_deref(),
            Ok("s3-object-lambda")
        );
        assert!(normalise_service("").is_err());
        assert!(normalise_service("s3:").is_err());
    }
}
