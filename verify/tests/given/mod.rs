//! Given code kept once: a stub and its solution compared item by item.
//!
//! A source file is read as Rust tokens (comments dropped, doc comments kept, spacing
//! ignored) and split into items: functions, structs, enums, traits, consts, statics,
//! types, `use` lines, macros, and the members of `impl`, `trait` and inline `mod`
//! blocks, each under a key such as `impl Frame / fn encode`. Then, for every item of
//! the stub:
//!
//! - an item the learner writes (its body holds a todo! stub or a `TODO (step N)`
//!   comment) must match the solution's in its doc comments, attributes and
//!   signature; the body is the learner's;
//! - every other item is given code and must match the solution's token for token;
//! - an item the solution lacks is an error.
//!
//! Items only in the solution are allowed unless they are `pub`: private helpers are
//! how the reference writes its bodies, and a learner writes their own.
//!
//! No parser crate: a small lexer is enough for items, and it keeps each token's line
//! so a failure shows the first differing source line of each side.

use std::collections::BTreeMap;

/// One token of Rust source and the line (from 1) it starts on. Comments are kept as
/// tokens of their own (`comment` true) so that a `TODO (step N)` marks its item as
/// the learner's; they take no part in comparisons. Doc comments are ordinary tokens.
#[derive(Clone, Debug)]
pub struct Token {
    pub text: String,
    pub line: usize,
    pub comment: bool,
}

/// Splits Rust source into tokens: identifiers and keywords, lifetimes, literals
/// (strings raw or not, chars, numbers), one-character punctuation, comments.
pub fn lex(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let (start, start_line) = (i, line);
        let c = chars[i];
        let mut comment = false;
        if c.is_whitespace() {
            if c == '\n' {
                line += 1;
            }
            i += 1;
            continue;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            comment = !(text.starts_with("///") && !text.starts_with("////") || text.starts_with("//!"));
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    return Err(format!("line {start_line}: a block comment never ends"));
                }
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            comment = !(text.starts_with("/**") && !text.starts_with("/***") || text.starts_with("/*!"));
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br"…", cr"…": no escapes, ends at a quote and as many #.
            i += chars[i..].iter().position(|&c| c == '"').unwrap() + 1;
            loop {
                if i >= chars.len() {
                    return Err(format!("line {start_line}: a raw string never ends"));
                }
                line += usize::from(chars[i] == '\n');
                i += 1;
                if chars[i - 1] == '"' && chars[i..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
                    i += hashes;
                    break;
                }
            }
        } else if c == '"' || (c == 'b' || c == 'c') && at(i + 1) == '"' {
            i += if c == '"' { 1 } else { 2 };
            loop {
                match chars.get(i) {
                    None => return Err(format!("line {start_line}: a string never ends")),
                    Some('\\') => i += 2,
                    Some('"') => break,
                    Some('\n') => {
                        line += 1;
                        i += 1
                    }
                    Some(_) => i += 1,
                }
            }
            i += 1;
            i += suffix_len(&chars, i);
        } else if c == '\'' || c == 'b' && at(i + 1) == '\'' {
            // A char literal ('a', '\n', '\u{1F600}', b'x') or a lifetime ('a, 'static).
            let open = if c == 'b' { i + 1 } else { i };
            let body = open + 1;
            if at(body) == '\\' {
                let close = chars[body + 2..].iter().position(|&c| c == '\'').map(|p| body + 2 + p);
                i = close.ok_or_else(|| format!("line {start_line}: a character literal never ends"))? + 1;
            } else if at(body + 1) == '\'' {
                i = body + 2;
            } else {
                i = body;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
            }
        } else if c.is_alphanumeric() || c == '_' {
            // Identifiers, keywords and numbers (with a `.5` or `e-3` part, and suffixes).
            let number = c.is_ascii_digit();
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || number && chars[i] == '.' && at(i + 1).is_ascii_digit()
                    || number
                        && matches!(chars[i], '+' | '-')
                        && matches!(chars[i - 1], 'e' | 'E')
                        && !matches!(at(start + 1), 'x' | 'X'))
            {
                i += 1;
            }
        } else {
            i += 1;
        }
        tokens.push(Token { text: chars[start..i].iter().collect(), line: start_line, comment });
    }
    Ok(tokens)
}

/// The number of `#` of a raw string starting at `i`, if one starts there.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if matches!(chars.get(j), Some('b' | 'c')) {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// A literal's suffix (`"…"_x` is rare; numbers keep theirs as part of the word).
fn suffix_len(chars: &[char], i: usize) -> usize {
    chars[i..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').count()
}

/// One item of a file: where it stands and what it is.
#[derive(Debug)]
pub struct Item {
    /// `fn encode`, `struct Frame`, `impl Node for Server / fn on_start`, `use std::io`.
    pub key: String,
    /// Its tokens, docs and attributes included, comments left out.
    pub tokens: Vec<Token>,
    /// How many of `tokens` come before its body (its docs, attributes and signature):
    /// all of them for an item with no body.
    pub signature: usize,
    /// The body holds a todo! stub or a `TODO (step N)` comment: the learner writes it.
    pub learners: bool,
    /// Declared `pub` (a `pub(crate)` item is no part of the crate's API).
    pub public: bool,
}

/// The items of a source file, the members of `impl`, `trait` and inline `mod` blocks
/// included under their block's key. A crate root's `//!` docs and `#![…]` attributes
/// are left out (the stub's tell the learner how to work, the solution's what it is);
/// another file's are compared as the item `file docs`.
pub fn items(src: &str, crate_root: bool) -> Result<Vec<Item>, String> {
    let all = lex(src)?;
    let code: Vec<Token> = all.iter().filter(|t| !t.comment).cloned().collect();
    // For each code token, whether a `TODO (step` comment stands before the next one.
    let mut todo_after = vec![false; code.len() + 1];
    let mut k = 0;
    for t in &all {
        if t.comment {
            if t.text.contains("TODO (step") {
                todo_after[k] = true;
            }
        } else {
            k += 1;
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    // File docs and inner attributes.
    let mut inner = Vec::new();
    while start < code.len() {
        if code[start].text.starts_with("//!") || code[start].text.starts_with("/*!") {
            inner.push(code[start].clone());
            start += 1;
        } else if code[start].text == "#" && code.get(start + 1).is_some_and(|t| t.text == "!") {
            let end = close_of(&code, start + 2)? + 1;
            inner.extend_from_slice(&code[start..end]);
            start = end;
        } else {
            break;
        }
    }
    if !crate_root && !inner.is_empty() {
        let signature = inner.len();
        out.push(Item { key: "file docs".into(), tokens: inner, signature, learners: false, public: false });
    }
    split(&code, &todo_after, start, code.len(), "", &mut out)?;
    Ok(out)
}

/// The index of the bracket closing the one at `open`.
fn close_of(code: &[Token], open: usize) -> Result<usize, String> {
    let mut depth = 0i32;
    for (i, t) in code.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err(format!("line {}: a bracket never closes", code[open].line))
}

fn split(
    code: &[Token],
    todo_after: &[bool],
    mut i: usize,
    end: usize,
    prefix: &str,
    out: &mut Vec<Item>,
) -> Result<(), String> {
    while i < end {
        let start = i;
        // Docs and attributes.
        while i < end && (code[i].text.starts_with("///") || code[i].text.starts_with("/**") || code[i].text == "#") {
            i = if code[i].text == "#" { close_of(code, i + 1)? + 1 } else { i + 1 };
        }
        // Qualifiers, then the keyword. `pub(crate)` and the like are not the crate's API.
        let mut public = code.get(i).is_some_and(|t| t.text == "pub");
        if public {
            i += 1;
            if code.get(i).is_some_and(|t| t.text == "(") {
                public = false;
                i = close_of(code, i)? + 1;
            }
        }
        while i < end
            && (matches!(code[i].text.as_str(), "unsafe" | "async" | "default" | "extern")
                || code[i].text == "const"
                    && code.get(i + 1).is_some_and(|t| matches!(t.text.as_str(), "fn" | "unsafe" | "async" | "extern"))
                || code[i].text.starts_with('"'))
        {
            i += 1;
        }
        let Some(keyword) = code.get(i).map(|t| t.text.clone()) else {
            return Err(format!("line {}: attributes with no item after them", code[start].line));
        };
        let name = code.get(i + 1).map(|t| t.text.clone()).unwrap_or_default();
        let ends_at_semicolon = matches!(keyword.as_str(), "use" | "const" | "static" | "type" | "crate" | "let");
        // The body: the first `{…}` at this level (or none: an item ending in `;`).
        let mut j = i;
        let mut body = None;
        while j < end {
            match code[j].text.as_str() {
                ";" => break,
                "{" if !ends_at_semicolon => {
                    body = Some((j, close_of(code, j)?));
                    break;
                }
                "(" | "[" | "{" => j = close_of(code, j)?,
                _ => {}
            }
            j += 1;
        }
        let stop = match body {
            Some((_, close)) => close + 1,
            None => j + 1,
        }
        .min(end);
        let key = match keyword.as_str() {
            "impl" => format!("impl {}", text(&code[i + 1..body.map_or(stop, |b| b.0)])),
            "use" => format!("use {}", text(&code[i + 1..stop])),
            "macro_rules" => format!("macro {}", code.get(i + 2).map_or("", |t| t.text.as_str())),
            _ if name == "!" => format!("{keyword}! {}", text(&code[i + 2..stop])),
            _ => format!("{keyword} {name}"),
        };
        let key = format!("{prefix}{key}");
        let learners = body.is_some_and(|(open, close)| {
            code[open..close].windows(2).any(|w| w[0].text == "todo" && w[1].text == "!")
                || todo_after[open + 1..=close].iter().any(|&t| t)
        });
        if keyword == "use" {
            // One item per name imported, so that grouping does not matter.
            let head = code[start..=i].to_vec();
            for path in use_paths(&code[i + 1..stop.saturating_sub(1)]) {
                let key = format!("{prefix}{}use {path}", if public { "pub " } else { "" });
                out.push(Item { key, tokens: head.clone(), signature: head.len(), learners: false, public });
            }
            i = stop;
            continue;
        }
        let recurse = matches!(keyword.as_str(), "impl" | "trait" | "mod") && body.is_some();
        if recurse {
            // The block's header is compared whole; its members one by one.
            let (open, close) = body.unwrap();
            let signature = open + 1 - start;
            out.push(Item {
                key: key.clone(),
                tokens: code[start..=open].to_vec(),
                signature,
                learners: false,
                public,
            });
            split(code, todo_after, open + 1, close, &format!("{key} / "), out)?;
        } else {
            let signature = body.map_or(stop, |b| b.0) - start;
            out.push(Item { key, tokens: code[start..stop].to_vec(), signature, learners, public });
        }
        i = stop;
    }
    Ok(())
}

/// The paths a `use` tree names, one a leaf: `a::{b, c::d as e}` is `a::b` and
/// `a::c::d as e`.
fn use_paths(tree: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    let mut k = 0;
    while k < tree.len() {
        match tree[k].text.as_str() {
            "{" => {
                let close = close_of(tree, k).unwrap_or(tree.len() - 1);
                let mut from = k + 1;
                let mut depth = 0;
                for j in k + 1..=close {
                    match tree[j].text.as_str() {
                        "{" => depth += 1,
                        "}" if depth > 0 => depth -= 1,
                        "," | "}" if depth == 0 => {
                            out.extend(use_paths(&tree[from..j]).into_iter().map(|p| format!("{prefix}{p}")));
                            from = j + 1;
                        }
                        _ => {}
                    }
                }
                return out;
            }
            word => prefix.push_str(if word == "as" { " as " } else { word }),
        }
        k += 1;
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
    out
}

/// Tokens joined as Rust is written: a space between two words and after a comma or a
/// lone colon (`impl<T: Ord> Default for OrSet<T>`).
fn text(tokens: &[Token]) -> String {
    let word = |t: &Token| t.text.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '\'' || c == '"');
    let mut out = String::new();
    for (k, t) in tokens.iter().enumerate() {
        if k > 0 {
            let before = &tokens[k - 1];
            let lone_colon = before.text == ":" && t.text != ":" && (k < 2 || tokens[k - 2].text != ":");
            if word(before) && word(t) || before.text == "," || lone_colon || t.text == "=" || before.text == "=" {
                out.push(' ');
            }
        }
        out.push_str(&t.text);
    }
    out
}

/// A learner's item's signature, read as the learner may write it: each argument's
/// pattern (`x`, `_x`, `mut x`, `Timer::Tick`) is theirs, its type is not.
fn signature_words(item: &Item) -> Vec<Token> {
    let sig = &item.tokens[..item.signature];
    let Some(open) = sig
        .iter()
        .position(|t| t.text == "fn")
        .and_then(|f| sig[f..].iter().position(|t| t.text == "(").map(|p| f + p))
    else {
        return sig.to_vec();
    };
    let close = close_of(sig, open).unwrap_or(sig.len() - 1);
    let lone_colon =
        |j: usize| sig[j].text == ":" && sig[j - 1].text != ":" && sig.get(j + 1).is_some_and(|n| n.text != ":");
    let mut out = sig[..=open].to_vec();
    let mut j = open + 1;
    while j < close {
        // One argument: its pattern up to a lone `:` (none for `self`), then its type.
        let mut depth = 0;
        let mut end = j;
        while end < close && !(depth == 0 && sig[end].text == ",") {
            match sig[end].text.as_str() {
                "(" | "[" | "{" | "<" => depth += 1,
                ")" | "]" | "}" | ">" if depth > 0 => depth -= 1,
                _ => {}
            }
            end += 1;
        }
        match (j..end).find(|&c| lone_colon(c)) {
            Some(colon) => {
                out.push(Token { text: "_".into(), ..sig[j].clone() });
                out.extend_from_slice(&sig[colon..end]);
            }
            None => out.extend_from_slice(&sig[j..end]),
        }
        if end < close {
            out.push(sig[end].clone());
        }
        j = end + 1;
    }
    out.extend_from_slice(&sig[close..]);
    out
}

/// How many items of a stub are given code and how many the learner's (for the test's
/// summary line).
pub fn census(stub: &str, crate_root: bool) -> (usize, usize) {
    let all = items(stub, crate_root).unwrap_or_default();
    let learners = all.iter().filter(|i| i.learners).count();
    (all.len() - learners, learners)
}

/// What differs between a stub file and its solution, one message per item.
pub fn differences(stub: &str, solution: &str, crate_root: bool) -> Vec<String> {
    let (stub_items, solution_items) = match (items(stub, crate_root), items(solution, crate_root)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) => return vec![format!("the stub does not read as Rust: {e}")],
        (_, Err(e)) => return vec![format!("the solution does not read as Rust: {e}")],
    };
    let theirs: BTreeMap<&str, &Item> = solution_items.iter().map(|i| (i.key.as_str(), i)).collect();
    let ours: BTreeMap<&str, &Item> = stub_items.iter().map(|i| (i.key.as_str(), i)).collect();
    let mut out = Vec::new();
    for item in &stub_items {
        let Some(twin) = theirs.get(item.key.as_str()) else {
            out.push(format!("`{}` (stub line {}) is not in the solution", item.key, item.tokens[0].line));
            continue;
        };
        let (a, b, what) = if item.learners {
            (signature_words(item), signature_words(twin), "docs or signature")
        } else {
            (item.tokens.clone(), twin.tokens.clone(), "given code")
        };
        if let Some(k) = (0..a.len().max(b.len())).find(|&k| a.get(k).map(|t| &t.text) != b.get(k).map(|t| &t.text)) {
            let show = |side: &[Token], src: &str| match side.get(k).or(side.last()) {
                Some(t) => format!("line {}: {}", t.line, src.lines().nth(t.line - 1).unwrap_or("").trim()),
                None => "(nothing)".into(),
            };
            out.push(format!(
                "`{}`: the {what} differs, first at\n      stub     {}\n      solution {}",
                item.key,
                show(&a, stub),
                show(&b, solution)
            ));
        }
    }
    for item in &solution_items {
        if item.public && !ours.contains_key(item.key.as_str()) {
            out.push(format!("`{}` (solution line {}) is public but not in the stub", item.key, item.tokens[0].line));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::differences;

    const SOLUTION: &str = "
/// Given: the stub carries it whole.
pub fn given(x: u8) -> u8 {
    x + 1
}

/// The learner's.
pub fn theirs(_x: u8) -> u8 {
    helper(x)
}

fn helper(x: u8) -> u8 {
    x * 2
}

impl Node for Server {
    fn on_timer(&mut self, ctx: &mut Context, Timer::Tick: Timer) {
        self.tick(ctx);
    }
}
";

    /// A todo! stub, spelled in two pieces so that this file holds none (the project
    /// keeps them to exercises/*/src).
    const STUB: &str = concat!("todo", "!()");

    fn stub(given_body: &str) -> String {
        format!(
            "
/// Given: the stub carries it whole.
pub fn given(x: u8) -> u8 {{
    {given_body}
}}

/// The learner's.
pub fn theirs(mut x: u8) -> u8 {{
    // TODO (step 2)
    {STUB}
}}

impl Node for Server {{
    fn on_timer(&mut self, _ctx: &mut Context, timer: Timer) {{
        {STUB}
    }}
}}
"
        )
    }

    #[test]
    fn a_stub_that_keeps_the_given_code_and_signatures_matches() {
        assert_eq!(differences(&stub("x + 1"), SOLUTION, false), Vec::<String>::new());
    }

    #[test]
    fn a_given_body_fixed_on_one_side_only_is_named_with_both_lines() {
        let found = differences(&stub("x + 2"), SOLUTION, false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`fn given`: the given code differs"), "{}", found[0]);
        assert!(found[0].contains("stub     line 4: x + 2"), "{}", found[0]);
        assert!(found[0].contains("solution line 4: x + 1"), "{}", found[0]);
    }

    #[test]
    fn a_learners_item_compares_by_docs_and_signature() {
        let changed = stub("x + 1").replace("pub fn theirs(mut x: u8) -> u8", "pub fn theirs(x: u16) -> u8");
        let found = differences(&changed, SOLUTION, false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("`fn theirs`: the docs or signature differs"), "{}", found[0]);
        let undocumented = stub("x + 1").replace("/// The learner's.\n", "");
        assert_eq!(differences(&undocumented, SOLUTION, false).len(), 1);
    }

    #[test]
    fn items_only_in_the_stub_are_errors_and_private_ones_only_in_the_solution_are_not() {
        let extra = stub("x + 1") + "\nconst EXTRA: u8 = 1;\n";
        assert_eq!(differences(&extra, SOLUTION, false), vec!["`const EXTRA` (stub line 19) is not in the solution"]);
        let public = SOLUTION.replace("fn helper", "pub fn helper");
        assert_eq!(
            differences(&stub("x + 1"), &public, false),
            vec!["`fn helper` (solution line 12) is public but not in the stub"]
        );
    }

    #[test]
    fn imports_compare_name_by_name_and_strings_keep_their_braces() {
        let solution = "use std::collections::{BTreeMap, BTreeSet};\nconst S: &str = \"{ ; }\";\n";
        assert!(
            differences("use std::collections::BTreeSet;\nconst S: &str = \"{ ; }\";\n", solution, false).is_empty()
        );
        assert_eq!(
            differences("use std::collections::HashSet;\n", solution, false),
            vec!["`use std::collections::HashSet` (stub line 1) is not in the solution"]
        );
        assert_eq!(
            differences("const S: &str = r#\"{\"#;\n", solution, false),
            vec![
                "`const S`: the given code differs, first at\n      stub     line 1: const S: &str = r#\"{\"#;\n      solution line 2: const S: &str = \"{ ; }\";"
            ]
        );
    }
}
