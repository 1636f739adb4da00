//! How sites, documents and refinements move with their text (see [`iamprune_syntax::Spans`]): an
//! editor's keystroke before a site moves it, and what was found of it moves along.

use iamprune_syntax::{Span, Spans};

use crate::model::{ActionBlock, ActionElement, PolicyDocument, Statement};
use crate::refine::{ElementRefinement, Refinement, StatementRefinement};
use crate::site::{Expansion, PolicySite, SiteNote, Syntax};

impl Spans for PolicySite {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let PolicySite {
            file: _,
            owner: _,
            owner_file: _,
            owner_span,
            construct_path: _,
            account: _,
            purpose: _,
            document,
            syntax,
            principals: _,
            principals_complete: _,
            notes,
            frozen: _,
        } = self;
        f(owner_span);
        document.each_span(f);
        syntax.each_span(f);
        notes.each_span(f);
    }
}

impl Spans for Syntax {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            Syntax::Expanded(expansion) => expansion.each_span(f),
            Syntax::Json | Syntax::Yaml | Syntax::Hcl | Syntax::EmbeddedJson(_) => {}
        }
    }
}

impl Spans for Expansion {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Expansion {
            around,
            span,
            statements: _,
        } = self;
        around.each_span(f);
        f(span);
    }
}

impl Spans for SiteNote {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let SiteNote { span, message: _ } = self;
        f(span);
    }
}

impl Spans for PolicyDocument {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let PolicyDocument {
            span,
            version: _,
            statement_is_list: _,
            statements,
        } = self;
        f(span);
        statements.each_span(f);
    }
}

impl Spans for Statement {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Statement {
            index: _,
            span,
            sid: _,
            effect: _,
            actions,
            undecidable: _,
        } = self;
        f(span);
        actions.each_span(f);
    }
}

impl Spans for ActionBlock {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let ActionBlock {
            key: _,
            key_span,
            span,
            is_list: _,
            elements,
        } = self;
        f(key_span);
        f(span);
        elements.each_span(f);
    }
}

impl Spans for ActionElement {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let ActionElement { span, value: _ } = self;
        f(span);
    }
}

impl Spans for Refinement {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Refinement { statements } = self;
        statements.each_span(f);
    }
}

impl Spans for StatementRefinement {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            StatementRefinement::Elements {
                changes,
                removes_statement: _,
                undecidable: _,
            } => changes.each_span(f),
            StatementRefinement::Unchanged(_)
            | StatementRefinement::ToNotAction { .. }
            | StatementRefinement::ExtendNotAction { .. } => {}
        }
    }
}

impl Spans for ElementRefinement {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let ElementRefinement {
            element: _,
            span,
            original: _,
            refinement: _,
        } = self;
        f(span);
    }
}
