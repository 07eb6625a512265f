//! The first words of a message, for the message list.

use std::cell::RefCell;

use html5ever::LocalName;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Elements whose content nobody reads in the message: the head, code, templates, and the
/// fallbacks of content that is not shown.
const HIDDEN: &[&str] = &[
    "head", "title", "style", "script", "template", "noscript", "noembed", "noframes", "iframe", "object",
    "svg", "math",
];

/// Elements that sit inside a line of text; every other element starts a new run of text, so
/// that the words of two paragraphs or table cells do not run together.
#[rustfmt::skip]
const INLINE: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
    "font", "i", "img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike",
    "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
];

/// How much HTML the tokenizer reads at a time: reading stops once the snippet is full.
const CHUNK_BYTES: usize = 16 * 1024;

/// See [`super::snippet_from_html`].
pub(super) fn from_html(html: &str, max_chars: usize) -> String {
    let sink = SnippetSink(RefCell::new(HtmlText { snippet: Snippet::new(max_chars), hidden: Vec::new() }));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() && !tokenizer.sink.0.borrow().snippet.full {
        let mut end = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, after) = rest.split_at(end);
        input.push_back(StrTendril::from_slice(chunk));
        // The sink never asks the tokenizer to pause for a script, so a feed reads everything.
        let _ = tokenizer.feed(&input);
        rest = after;
    }
    tokenizer.end();
    tokenizer.sink.0.into_inner().snippet.finish()
}

/// See [`super::snippet_from_text`].
pub(super) fn from_text(text: &str, max_chars: usize) -> String {
    let mut snippet = Snippet::new(max_chars);
    for line in text.lines() {
        if line == "-- " {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        snippet.separate();
        snippet.push_str(line);
        if snippet.full {
            break;
        }
    }
    snippet.finish()
}

/// Text gathered word by word, with whitespace collapsed, up to a number of characters.
#[derive(Debug)]
struct Snippet {
    text: String,
    max_chars: usize,
    chars: usize,
    /// Whitespace came since the last character kept: a space goes before the next one.
    space: bool,
    /// The next character would not fit.
    full: bool,
}

impl Snippet {
    fn new(max_chars: usize) -> Self {
        Self { text: String::new(), max_chars, chars: 0, space: false, full: max_chars == 0 }
    }

    /// Ends a run of text: the next words are separated from the last ones.
    fn separate(&mut self) {
        self.space = !self.text.is_empty();
    }

    fn push_str(&mut self, text: &str) {
        for c in text.chars() {
            if self.full {
                return;
            }
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.separate();
            return;
        }
        // Zero-width characters (newsletters pad their preview text with them) show nothing.
        // A zero-width non-joiner is kept inside a word, where it shapes the letters.
        let in_word = !self.space && self.text.ends_with(char::is_alphabetic);
        if matches!(c, '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{34f}' | '\u{ad}' | '\u{200e}' | '\u{200f}')
            || (c == '\u{200c}' && !in_word)
            || c.is_control()
        {
            return;
        }
        let needed = 1 + usize::from(self.space);
        if self.chars + needed > self.max_chars {
            self.full = true;
            return;
        }
        if self.space {
            self.text.push(' ');
            self.space = false;
        }
        self.text.push(c);
        self.chars += needed;
    }

    fn finish(mut self) -> String {
        let kept = self.text.trim_end_matches('\u{200c}').len();
        self.text.truncate(kept);
        self.text
    }
}

/// Reads HTML tokens into a snippet.
struct SnippetSink(RefCell<HtmlText>);

#[derive(Debug)]
struct HtmlText {
    snippet: Snippet,
    /// The hidden elements open at this point (see [`HIDDEN`]).
    hidden: Vec<LocalName>,
}

impl TokenSink for SnippetSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(&tag),
            Token::CharacterTokens(text) if state.hidden.is_empty() => state.snippet.push_str(&text),
            // Comments, doctypes, NUL characters and hidden text.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl HtmlText {
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name = &*tag.name;
        if !INLINE.contains(&name) {
            self.snippet.separate();
        }
        if tag.kind == TagKind::EndTag {
            if let Some(position) = self.hidden.iter().rposition(|hidden| *hidden == tag.name) {
                self.hidden.truncate(position);
            }
            return TokenSinkResult::Continue;
        }
        if name == "body" {
            // The head is over, even if it was never closed.
            self.hidden.clear();
        }
        let foreign = matches!(name, "svg" | "math");
        if HIDDEN.contains(&name) && !(foreign && tag.self_closing) {
            self.hidden.push(tag.name.clone());
        }
        // As the tree builder would, so that a stylesheet or script is not read as markup.
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}
