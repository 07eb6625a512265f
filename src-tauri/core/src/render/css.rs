//! The CSS half of the policy: stylesheets in `<style>` and `style` attributes.
//!
//! CSS is read with `cssparser` (the tokenizer ammonia and Servo use), never with string
//! searches: `\75 rl(` is `url(`, `beh\61vior` is `behavior`, and a comment can split a word.
//! What survives is written back from the tokens, so what the browser reads is exactly what was
//! checked.

use cssparser::{ParseError, Parser, ToCss, Token, TokenSerializationType};

use super::urls::{ImageUrl, UrlPolicy};

/// Filtered CSS and the number of remote resources (images, fonts) it no longer loads because
/// remote content is not allowed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct FilteredCss {
    pub(super) css: String,
    pub(super) blocked_remote: u32,
}

/// What an inline style says about an image's box, for spotting tracking pixels.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct BoxHints {
    /// `display:none` or `visibility:hidden`.
    pub(super) hidden: bool,
    /// The smallest of `width` and `max-width`, in pixels, when given in pixels (or as 0).
    pub(super) width: Option<f32>,
    /// The smallest of `height` and `max-height`, likewise.
    pub(super) height: Option<f32>,
}

/// A component value: a token, or a block (function, parentheses, brackets, braces) with its
/// contents.
#[derive(Debug, Clone)]
enum Node<'i> {
    Leaf(Token<'i>),
    Block(Token<'i>, Vec<Node<'i>>),
}

/// Filters a whole stylesheet (the text of a `<style>` element).
pub(super) fn filter_stylesheet(css: &str, policy: &UrlPolicy) -> FilteredCss {
    let mut parser = Parser::new(css);
    let Ok(nodes) = parse_list(&mut parser) else {
        // Nested deeper than cssparser will follow: nothing of it is kept.
        return FilteredCss::default();
    };
    let mut blocked_remote = 0;
    let rules = filter_rules(&nodes, policy, &mut blocked_remote);
    FilteredCss { css: escape_markup(&serialize(&rules)), blocked_remote }
}

/// Filters a declaration list (the value of a `style` attribute).
pub(super) fn filter_declarations(css: &str, policy: &UrlPolicy) -> FilteredCss {
    let mut parser = Parser::new(css);
    let Ok(nodes) = parse_list(&mut parser) else {
        return FilteredCss::default();
    };
    let mut blocked_remote = 0;
    let declarations = filter_declaration_list(&nodes, policy, &mut blocked_remote);
    FilteredCss { css: escape_markup(&serialize(&declarations)), blocked_remote }
}

/// Reads what a (filtered) inline style says about the size and visibility of its element.
pub(super) fn box_hints(css: &str) -> BoxHints {
    let mut parser = Parser::new(css);
    let Ok(nodes) = parse_list(&mut parser) else {
        return BoxHints::default();
    };
    let mut hints = BoxHints::default();
    for chunk in nodes.split(|node| matches!(node, Node::Leaf(Token::Semicolon))) {
        let Some((name, value)) = split_declaration(chunk) else { continue };
        let value: Vec<&Node<'_>> = value.iter().filter(|node| !is_whitespace(node)).collect();
        let first = value.first().copied();
        match name.as_str() {
            "display" => hints.hidden |= is_ident(first, "none"),
            "visibility" => hints.hidden |= is_ident(first, "hidden"),
            "width" | "max-width" => hints.width = smallest(hints.width, pixels(first)),
            "height" | "max-height" => hints.height = smallest(hints.height, pixels(first)),
            _ => {}
        }
    }
    hints
}

fn is_ident(node: Option<&Node<'_>>, expected: &str) -> bool {
    matches!(node, Some(Node::Leaf(Token::Ident(value))) if value.eq_ignore_ascii_case(expected))
}

fn pixels(node: Option<&Node<'_>>) -> Option<f32> {
    match node {
        Some(Node::Leaf(Token::Dimension { value, unit, .. })) if unit.eq_ignore_ascii_case("px") => {
            Some(*value)
        }
        Some(Node::Leaf(Token::Number { value, .. })) if *value == 0.0 => Some(0.0),
        _ => None,
    }
}

fn smallest(current: Option<f32>, new: Option<f32>) -> Option<f32> {
    match (current, new) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads component values up to the end of the current block. Comments are dropped here.
fn parse_list<'i>(parser: &mut Parser<'i>) -> Result<Vec<Node<'i>>, ParseError<()>> {
    let mut nodes = Vec::new();
    while let Ok(token) = parser.next_including_whitespace_and_comments() {
        let token = token.clone();
        match token {
            Token::Function(_)
            | Token::ParenthesisBlock
            | Token::SquareBracketBlock
            | Token::CurlyBracketBlock => {
                let children = parser.parse_nested_block(parse_list)?;
                nodes.push(Node::Block(token, children));
            }
            Token::Comment(_) => {}
            other => nodes.push(Node::Leaf(other)),
        }
    }
    Ok(nodes)
}

/// A rule list: a stylesheet, or the body of `@media`, `@supports` or `@keyframes`.
fn filter_rules<'i>(nodes: &[Node<'i>], policy: &UrlPolicy, blocked: &mut u32) -> Vec<Node<'i>> {
    let mut out = Vec::new();
    let mut rest = nodes;
    loop {
        // Skip what may separate rules (including the `<!--` and `-->` of old stylesheets).
        while let Some((first, tail)) = rest.split_first()
            && matches!(first, Node::Leaf(Token::WhiteSpace(_) | Token::CDO | Token::CDC | Token::Semicolon))
        {
            rest = tail;
        }
        let Some(first) = rest.first() else { break };
        if let Node::Leaf(Token::AtKeyword(name)) = first {
            // An at-rule ends at a `;` or with its `{}` block.
            let end = rest.iter().position(|node| {
                matches!(node, Node::Leaf(Token::Semicolon) | Node::Block(Token::CurlyBracketBlock, _))
            });
            let (rule, tail) = match end {
                Some(end) => rest.split_at(end + 1),
                None => (rest, &rest[rest.len()..]),
            };
            rest = tail;
            let name = name.to_ascii_lowercase();
            let Some((Node::Block(Token::CurlyBracketBlock, body), prelude)) = rule.split_last() else {
                // Statement at-rules (`@import`, `@charset`, `@namespace`, ...) are all dropped.
                continue;
            };
            // The prelude without the at-keyword itself.
            let prelude = prelude.get(1..).unwrap_or_default();
            if !value_is_inert(prelude) {
                continue;
            }
            let body = match name.as_str() {
                "media" | "supports" | "container" | "layer" | "keyframes" | "-webkit-keyframes"
                | "-moz-keyframes" => filter_rules(body, policy, blocked),
                "font-face" | "page" => filter_declaration_list(body, policy, blocked),
                _ => continue,
            };
            if body.is_empty() {
                continue;
            }
            out.push(first.clone());
            let prelude = trim(prelude);
            if !prelude.is_empty() {
                out.push(Node::Leaf(Token::WhiteSpace(" ")));
            }
            out.extend(prelude.iter().cloned());
            out.push(Node::Block(Token::CurlyBracketBlock, body));
        } else {
            // A style rule: a selector, then a `{}` block of declarations.
            let Some(end) =
                rest.iter().position(|node| matches!(node, Node::Block(Token::CurlyBracketBlock, _)))
            else {
                break;
            };
            let (rule, tail) = rest.split_at(end + 1);
            rest = tail;
            let Some((Node::Block(_, body), selector)) = rule.split_last() else { continue };
            if !value_is_inert(selector) || !could_be_selector(selector) {
                continue;
            }
            let body = filter_declaration_list(body, policy, blocked);
            if body.is_empty() {
                continue;
            }
            out.extend(trim(selector).iter().cloned());
            out.push(Node::Block(Token::CurlyBracketBlock, body));
        }
    }
    out
}

/// A declaration list: `name: value; name: value`. Whatever is not a well-formed declaration
/// (nested rules, at-rules, stray tokens) is dropped, and so is every declaration the policy
/// refuses.
fn filter_declaration_list<'i>(nodes: &[Node<'i>], policy: &UrlPolicy, blocked: &mut u32) -> Vec<Node<'i>> {
    let mut out = Vec::new();
    for chunk in nodes.split(|node| matches!(node, Node::Leaf(Token::Semicolon))) {
        let Some((name, value)) = split_declaration(chunk) else { continue };
        if name.contains("behavior") || name.contains("binding") {
            // IE's `behavior` and Firefox's `-moz-binding` run code.
            continue;
        }
        let Some(value) = filter_value(value, policy, blocked) else { continue };
        let value = trim(&value);
        if value.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Node::Leaf(Token::Semicolon));
        }
        if let Some(Node::Leaf(name_token)) = chunk.iter().find(|node| !is_whitespace(node)) {
            out.push(Node::Leaf(name_token.clone()));
        }
        out.push(Node::Leaf(Token::Colon));
        out.extend(value.iter().cloned());
    }
    out
}

/// Splits `name : value` into the lower-cased name and the value's nodes.
fn split_declaration<'a, 'i>(chunk: &'a [Node<'i>]) -> Option<(String, &'a [Node<'i>])> {
    let chunk = trim(chunk);
    let (Node::Leaf(Token::Ident(name)), rest) = chunk.split_first()? else { return None };
    let rest = trim(rest);
    let (Node::Leaf(Token::Colon), value) = rest.split_first()? else { return None };
    Some((name.to_ascii_lowercase(), value))
}

/// Checks a declaration value, rewriting the URLs the policy keeps (a `cid:` becomes its part
/// URL). `None` drops the whole declaration.
fn filter_value<'i>(nodes: &[Node<'i>], policy: &UrlPolicy, blocked: &mut u32) -> Option<Vec<Node<'i>>> {
    let mut out = Vec::with_capacity(nodes.len());
    // The words written next to each other so far: old IE read `expr/**/ession(` as
    // `expression(`, the comment having split one word into two tokens.
    let mut word = String::new();
    for node in nodes {
        match node {
            Node::Leaf(Token::Ident(text)) => word.push_str(text),
            Node::Block(Token::Function(name), _) => {
                word.push_str(name);
                if word.to_ascii_lowercase().ends_with("expression") {
                    return None;
                }
                word.clear();
            }
            _ => word.clear(),
        }
        match node {
            Node::Leaf(Token::UnquotedUrl(url)) => {
                let url = decide_url(url, policy, blocked)?;
                out.push(Node::Leaf(Token::UnquotedUrl(url.into())));
            }
            Node::Leaf(Token::BadUrl(_) | Token::BadString(_)) => return None,
            Node::Leaf(Token::Ident(text) | Token::QuotedString(text)) if mentions_script(text) => {
                return None;
            }
            Node::Leaf(token) => out.push(Node::Leaf(token.clone())),
            Node::Block(Token::CurlyBracketBlock, _) => return None,
            Node::Block(Token::Function(name), children) => {
                let name = name.to_ascii_lowercase();
                if name.ends_with("expression") {
                    // IE's `expression(...)` runs script.
                    return None;
                }
                let children = match name.as_str() {
                    // `url("...")` and `src("...")`: exactly one string, which is the URL.
                    "url" | "src" => {
                        let inner = trim(children);
                        let [Node::Leaf(Token::QuotedString(url))] = inner else { return None };
                        let url = decide_url(url, policy, blocked)?;
                        vec![Node::Leaf(Token::QuotedString(url.into()))]
                    }
                    // Functions whose bare strings are image URLs.
                    "image-set" | "-webkit-image-set" | "image" | "cross-fade" | "-webkit-cross-fade" => {
                        let mut kept = Vec::with_capacity(children.len());
                        for child in children {
                            match child {
                                Node::Leaf(Token::QuotedString(url)) => {
                                    let url = decide_url(url, policy, blocked)?;
                                    kept.push(Node::Leaf(Token::QuotedString(url.into())));
                                }
                                Node::Block(Token::Function(inner), _)
                                    if matches!(
                                        inner.to_ascii_lowercase().as_str(),
                                        "var" | "env" | "attr"
                                    ) =>
                                {
                                    // A URL assembled at run time cannot be checked here.
                                    return None;
                                }
                                other => {
                                    kept.extend(filter_value(std::slice::from_ref(other), policy, blocked)?)
                                }
                            }
                        }
                        kept
                    }
                    _ => filter_value(children, policy, blocked)?,
                };
                out.push(Node::Block(Token::Function(name.into()), children));
            }
            Node::Block(open, children) => {
                out.push(Node::Block(open.clone(), filter_value(children, policy, blocked)?));
            }
        }
    }
    Some(out)
}

/// The policy's word on a URL in CSS: kept (possibly rewritten) or `None` to drop the
/// declaration. Remote URLs refused only because remote content is off are counted.
fn decide_url(url: &str, policy: &UrlPolicy, blocked: &mut u32) -> Option<String> {
    match policy.image_url(url) {
        ImageUrl::Local(url) => Some(url),
        ImageUrl::Remote(url) if policy.allow_remote => Some(url),
        ImageUrl::Remote(_) => {
            *blocked += 1;
            None
        }
        ImageUrl::Refused => None,
    }
}

/// Selectors and at-rule preludes load nothing and run nothing; anything that could is refused.
fn value_is_inert(nodes: &[Node<'_>]) -> bool {
    nodes.iter().all(|node| match node {
        Node::Leaf(Token::UnquotedUrl(_) | Token::BadUrl(_) | Token::BadString(_)) => false,
        Node::Leaf(Token::Ident(text) | Token::QuotedString(text)) => !mentions_script(text),
        Node::Leaf(_) => true,
        Node::Block(Token::Function(name), children) => {
            let name = name.to_ascii_lowercase();
            !(name == "url" || name == "src" || name.ends_with("expression") || name.contains("image"))
                && value_is_inert(children)
        }
        Node::Block(Token::CurlyBracketBlock, _) => false,
        Node::Block(_, children) => value_is_inert(children),
    })
}

/// False for what no selector holds: an at-keyword or a `;` at its top level. A browser drops
/// such a rule as invalid, and so does the policy, rather than keep a `;` followed by what a
/// reader taking `;` for the end of a statement would see as an at-rule (`…;@import …{…}`).
fn could_be_selector(nodes: &[Node<'_>]) -> bool {
    !nodes.iter().any(|node| matches!(node, Node::Leaf(Token::AtKeyword(_) | Token::Semicolon)))
}

fn mentions_script(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("javascript:") || lower.contains("vbscript:")
}

fn is_whitespace(node: &Node<'_>) -> bool {
    matches!(node, Node::Leaf(Token::WhiteSpace(_)))
}

fn trim<'a, 'i>(nodes: &'a [Node<'i>]) -> &'a [Node<'i>] {
    let start = nodes.iter().position(|node| !is_whitespace(node)).unwrap_or(nodes.len());
    let end = nodes.iter().rposition(|node| !is_whitespace(node)).map_or(start, |end| end + 1);
    &nodes[start..end]
}

/// Writes nodes back as CSS. Runs of whitespace become one space, and an empty comment goes
/// where two tokens would otherwise merge (as cssparser itself serializes).
fn serialize(nodes: &[Node<'_>]) -> String {
    let mut out = String::new();
    let mut previous = TokenSerializationType::default();
    write_nodes(nodes, &mut out, &mut previous);
    out
}

fn write_nodes(nodes: &[Node<'_>], out: &mut String, previous: &mut TokenSerializationType) {
    for node in nodes {
        match node {
            Node::Leaf(Token::WhiteSpace(_)) => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                *previous = Token::WhiteSpace(" ").serialization_type();
            }
            Node::Leaf(token) => write_token(token, out, previous),
            Node::Block(open, children) => {
                write_token(open, out, previous);
                let mut inner = TokenSerializationType::default();
                write_nodes(children, out, &mut inner);
                let close = match open {
                    Token::SquareBracketBlock => Token::CloseSquareBracket,
                    Token::CurlyBracketBlock => Token::CloseCurlyBracket,
                    _ => Token::CloseParenthesis,
                };
                write_token(&close, out, &mut TokenSerializationType::default());
                *previous = close.serialization_type();
            }
        }
    }
}

fn write_token(token: &Token<'_>, out: &mut String, previous: &mut TokenSerializationType) {
    let kind = token.serialization_type();
    if previous.needs_separator_when_before(kind) {
        out.push_str("/**/");
    }
    // Writing to a String cannot fail.
    let _ = token.to_css(out);
    *previous = kind;
}

/// No `<` survives in filtered CSS, so a stylesheet can never contain `</style`: it becomes the
/// CSS escape `\3c `, which means the same inside strings, URLs and names.
/// The parser's own escape of `<` in a name (`\<`) becomes the same escape, so filtering
/// filtered CSS changes nothing.
fn escape_markup(css: &str) -> String {
    css.replace("\\<", "\\3c ").replace('<', "\\3c ")
}
