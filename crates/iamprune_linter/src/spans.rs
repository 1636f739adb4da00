//! How what a check found moves with its text (see [`iamprune_syntax::Spans`]).

use iamprune_syntax::{Span, Spans};

use crate::analysis::SiteAnalysis;
use crate::diagnostic::{Diagnostic, Edit, Fix, Related};
use crate::{Message, SiteReport};

impl Spans for SiteReport {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let SiteReport {
            diagnostics,
            messages,
            analysis,
        } = self;
        diagnostics.each_span(f);
        messages.each_span(f);
        analysis.each_span(f);
    }
}

impl Spans for SiteAnalysis {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let SiteAnalysis {
            document,
            resolution: _,
            refinement,
            sizes: _,
        } = self;
        document.each_span(f);
        refinement.each_span(f);
    }
}

impl Spans for Diagnostic {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Diagnostic {
            rule: _,
            severity: _,
            file: _,
            span,
            message: _,
            principals: _,
            construct_path: _,
            related,
            fix,
        } = self;
        f(span);
        related.each_span(f);
        fix.each_span(f);
    }
}

impl Spans for Related {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Related {
            file: _,
            span,
            message: _,
        } = self;
        f(span);
    }
}

impl Spans for Fix {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Fix {
            applicability: _,
            title: _,
            edits,
            refined: _,
        } = self;
        edits.each_span(f);
    }
}

impl Spans for Edit {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Edit { span, content: _ } = self;
        f(span);
    }
}

impl Spans for Message {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Message {
            level: _,
            file: _,
            span,
            message: _,
        } = self;
        span.each_span(f);
    }
}
