//! The part of SARIF 2.1.0 that iamprune writes, as types: one struct per SARIF object, named as the
//! specification names it, with only the properties iamprune fills in. Field order is the order of the
//! keys in the output.

use std::collections::BTreeMap;

use serde::Serialize;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const VERSION: &str = "2.1.0";

/// A SARIF log: the whole document.
#[derive(Debug, Serialize)]
pub struct SarifLog {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

impl SarifLog {
    pub(crate) fn new(runs: Vec<Run>) -> Self {
        SarifLog {
            schema: SCHEMA,
            version: VERSION,
            runs,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Run {
    pub tool: Tool,
    /// Code scanning keeps the alerts of runs with the same id apart from other tools' alerts.
    pub automation_details: RunAutomationDetails,
    /// `%SRCROOT%`: the repository root that artifact URIs are relative to.
    pub original_uri_base_ids: BTreeMap<String, ArtifactLocation>,
    pub column_kind: ColumnKind,
    pub results: Vec<SarifResult>,
    pub invocations: Vec<Invocation>,
}

/// The unit of `startColumn` and `endColumn` in every region of a run.
#[derive(Debug, Serialize)]
pub(crate) struct RunAutomationDetails {
    pub id: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ColumnKind {
    UnicodeCodePoints,
}

#[derive(Debug, Serialize)]
pub(crate) struct Tool {
    pub driver: ToolComponent,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolComponent {
    pub name: String,
    pub full_name: String,
    pub version: String,
    pub semantic_version: String,
    pub information_uri: String,
    pub rules: Vec<ReportingDescriptor>,
    pub properties: PropertyBag,
}

/// A rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportingDescriptor {
    pub id: String,
    pub name: String,
    pub short_description: MultiformatMessageString,
    pub full_description: MultiformatMessageString,
    pub help: MultiformatMessageString,
    pub help_uri: String,
    pub default_configuration: ReportingConfiguration,
    pub properties: RuleProperties,
}

/// What code scanning reads of a rule besides SARIF's own properties.
#[derive(Debug, Serialize)]
pub(crate) struct RuleProperties {
    /// A CVSS-like score as a string (`"7.5"`): code scanning shows security alerts by it.
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReportingConfiguration {
    pub level: Level,
}

/// Tool-defined properties, by name.
pub(crate) type PropertyBag = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Level {
    Note,
    Warning,
    Error,
}

/// SARIF's `result` object; named so as not to shadow `std::result::Result`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: Level,
    pub message: Message,
    pub locations: Vec<Location>,
    /// Fingerprints by name and version of the method that computed them.
    pub partial_fingerprints: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Message {
    pub text: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct MultiformatMessageString {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

/// A place; `id` and `message` only for related locations, which are numbered and explained.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    pub physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    /// Absent when the location is a whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<String>,
}

/// Lines and columns are 1-based; columns are counted in the run's `columnKind`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_offset: usize,
    pub byte_length: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fix {
    pub description: Message,
    pub artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactChange {
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: ArtifactContent,
}

#[derive(Debug, Serialize)]
pub(crate) struct ArtifactContent {
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Invocation {
    pub execution_successful: bool,
    pub tool_execution_notifications: Vec<Notification>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Notification {
    pub level: Level,
    pub message: Message,
    pub locations: Vec<Location>,
}
