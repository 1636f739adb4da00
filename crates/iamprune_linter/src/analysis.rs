//! What checking a site found out about it, kept for whoever reads the site after the rules: the fix
//! loop's verification, hover, statistics and the note on findings that joined nothing. Each site is
//! read and resolved once per check; everything after reads this.

use iamprune_catalog::Catalog;
use iamprune_policy::{PolicyDocument, PolicySite, Refinement, UnusedSet};

use crate::resolve::{self, Resolution};

#[derive(Debug, Clone)]
pub struct SiteAnalysis {
    /// `None`: the site is not a policy document (reported).
    pub document: Option<PolicyDocument>,
    /// The principals it reaches, matched to the findings; empty without findings.
    pub resolution: Resolution,
    /// The refinement by what its principals left unused, when that is known.
    pub refinement: Option<Refinement>,
    /// The document's size as IAM counts it, before and after the refinement, when a rule asked
    /// (IAM020, for documents with a quota): measured once a check.
    pub sizes: Option<(usize, usize)>,
}

impl SiteAnalysis {
    /// A site whose document could not be read.
    pub(crate) fn empty(site: &PolicySite) -> SiteAnalysis {
        SiteAnalysis {
            document: None,
            resolution: Resolution::unresolved(site),
            refinement: None,
            sizes: None,
        }
    }

    /// What every principal the site reaches left unused, when the findings say and the site is an
    /// identity policy.
    pub fn unused<'c>(&self, catalog: &'c Catalog, site: &PolicySite) -> Option<UnusedSet<'c>> {
        unused(catalog, site, &self.resolution)
    }
}

/// Findings rules apply to identity policies only: trust and resource policies grant to others, whose
/// use the findings do not tell.
pub(crate) fn unused<'c>(
    catalog: &'c Catalog,
    site: &PolicySite,
    resolution: &Resolution,
) -> Option<UnusedSet<'c>> {
    let identity = site.purpose.grants_identity();
    resolve::unused_for(catalog, resolution).filter(|_| identity)
}
