//! The `when` language: conditions over earlier answers, written by trainers, evaluated by
//! the engine. Kept tiny on purpose so a guidance author can read every rule at a glance.

use std::fmt;

/// What a condition needs to know about the answers so far.
pub trait AnswerLookup {
    /// The canonical answer string (`yes`, `no`, `unsure`, a choice id, `skipped`, or the
    /// text), or `None` when the question is unanswered or hidden.
    fn value(&self, question: &str) -> Option<&str>;
    /// How many indicator questions were answered with a concern (only `high` ones if asked).
    fn concerns(&self, high_only: bool) -> u32;
    /// Whether an asked question that raises `signal` (its `signals` list) was answered
    /// with one of its concern answers. Lookups that know no signals say no.
    fn signalled(&self, _signal: &str) -> bool {
        false
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl CmpOp {
    fn holds(self, a: u32, b: u32) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Eq => a == b,
            CmpOp::Ge => a >= b,
            CmpOp::Gt => a > b,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Condition {
    Always,
    /// `q == v` or `q in [a, b]`.
    In(String, Vec<String>),
    /// `q != v`: answered, and not with `v`.
    Ne(String, String),
    Answered(String),
    /// `signal(name)`: a question that raises this signal was answered with a concern.
    Signal(String),
    /// A named condition (`[conditions]` in manifest.toml), replaced by its definition
    /// when the guidance loads; it evaluates to false if it was never resolved.
    Named(String),
    Count {
        high_only: bool,
        op: CmpOp,
        n: u32,
    },
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Condition {
    pub fn parse(src: &str) -> Result<Condition, ParseError> {
        let tokens = tokenize(src)?;
        if tokens.len() > MAX_TOKENS {
            return Err(ParseError(format!(
                "the condition has more than {MAX_TOKENS} parts; split the rule"
            )));
        }
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
        };
        let c = p.or()?;
        match p.peek() {
            None => Ok(c),
            Some(t) => Err(ParseError(format!(
                "unexpected {t} after a complete condition"
            ))),
        }
    }

    pub fn eval(&self, answers: &dyn AnswerLookup) -> bool {
        match self {
            Condition::Always => true,
            Condition::In(q, vs) => answers.value(q).is_some_and(|a| vs.iter().any(|v| v == a)),
            Condition::Ne(q, v) => answers.value(q).is_some_and(|a| a != v),
            Condition::Answered(q) => answers.value(q).is_some_and(|a| a != "skipped"),
            Condition::Signal(s) => answers.signalled(s),
            Condition::Named(_) => false,
            Condition::Count { high_only, op, n } => op.holds(answers.concerns(*high_only), *n),
            Condition::Not(c) => !c.eval(answers),
            Condition::And(a, b) => a.eval(answers) && b.eval(answers),
            Condition::Or(a, b) => a.eval(answers) || b.eval(answers),
        }
    }

    /// Every (question, value) pair the condition compares, for the validator.
    pub fn comparisons(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        self.walk(&mut |c| match c {
            Condition::In(q, vs) => out.extend(vs.iter().map(|v| (q.as_str(), v.as_str()))),
            Condition::Ne(q, v) => out.push((q.as_str(), v.as_str())),
            _ => {}
        });
        out
    }

    /// Every question id the condition names.
    pub fn questions(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |c| match c {
            Condition::In(q, _) | Condition::Ne(q, _) | Condition::Answered(q)
                if !out.contains(&q.as_str()) =>
            {
                out.push(q.as_str())
            }
            _ => {}
        });
        out
    }

    pub fn uses_counts(&self) -> bool {
        let mut found = false;
        self.walk(&mut |c| found |= matches!(c, Condition::Count { .. }));
        found
    }

    /// Every named condition the condition refers to.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |c| {
            if let Condition::Named(n) = c
                && !out.contains(&n.as_str())
            {
                out.push(n.as_str());
            }
        });
        out
    }

    /// Every signal the condition tests.
    pub fn signals(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |c| {
            if let Condition::Signal(n) = c
                && !out.contains(&n.as_str())
            {
                out.push(n.as_str());
            }
        });
        out
    }

    /// Replaces every named condition by its definition from `lookup` (itself resolved,
    /// to any depth). A name `lookup` does not know, or a name that refers back to itself,
    /// is left in place and returned in the error list.
    pub fn resolve(&self, lookup: &dyn Fn(&str) -> Option<Condition>) -> (Condition, Vec<String>) {
        let mut unknown = Vec::new();
        let c = self.resolve_inner(lookup, &mut Vec::new(), &mut unknown);
        (c, unknown)
    }

    fn resolve_inner(
        &self,
        lookup: &dyn Fn(&str) -> Option<Condition>,
        stack: &mut Vec<String>,
        unknown: &mut Vec<String>,
    ) -> Condition {
        let boxed = |c: &Condition, stack: &mut Vec<String>, unknown: &mut Vec<String>| {
            Box::new(c.resolve_inner(lookup, stack, unknown))
        };
        match self {
            Condition::Named(n) => {
                if stack.contains(n) || stack.len() > 16 {
                    unknown.push(format!("'{n}' refers to itself"));
                    return self.clone();
                }
                match lookup(n) {
                    Some(def) => {
                        stack.push(n.clone());
                        let out = def.resolve_inner(lookup, stack, unknown);
                        stack.pop();
                        out
                    }
                    None => {
                        unknown.push(format!("'{n}' is not a named condition"));
                        self.clone()
                    }
                }
            }
            Condition::Not(c) => Condition::Not(boxed(c, stack, unknown)),
            Condition::And(a, b) => {
                Condition::And(boxed(a, stack, unknown), boxed(b, stack, unknown))
            }
            Condition::Or(a, b) => {
                Condition::Or(boxed(a, stack, unknown), boxed(b, stack, unknown))
            }
            other => other.clone(),
        }
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Condition)) {
        f(self);
        match self {
            Condition::Not(c) => c.walk(f),
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Op(&'static str),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "'{w}'"),
            Tok::Quoted(w) => write!(f, "\"{w}\""),
            Tok::Op(o) => write!(f, "'{o}'"),
        }
    }
}

fn tokenize(src: &str) -> Result<Vec<Tok>, ParseError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        if let Some(op) = ["==", "!=", ">=", "<="].into_iter().find(|o| *o == two) {
            out.push(Tok::Op(op));
            chars.next();
            chars.next();
            continue;
        }
        if let Some(op) = ["(", ")", "[", "]", ",", "<", ">"]
            .into_iter()
            .find(|o| o.starts_with(c))
        {
            out.push(Tok::Op(op));
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some((_, '"')) => break,
                    Some((_, ch)) => s.push(ch),
                    None => return Err(ParseError("a quoted value is not closed".into())),
                }
            }
            out.push(Tok::Quoted(s));
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            let mut s = String::new();
            while let Some(&(_, ch)) = chars.peek() {
                if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                    s.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(s));
            continue;
        }
        return Err(ParseError(format!("unexpected character '{c}'")));
    }
    if out.is_empty() {
        return Err(ParseError("the condition is empty".into()));
    }
    Ok(out)
}

/// Bounds that keep a hand-edited (or hostile) condition from exhausting the stack: the
/// parser, `eval`, `walk` and dropping the tree all recurse once per level.
const MAX_DEPTH: usize = 32;
const MAX_TOKENS: usize = 2_000;

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    /// How many `(` and `not` enclose the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        match self.next() {
            Some(Tok::Op(o)) if o == op => Ok(()),
            Some(t) => Err(ParseError(format!("expected '{op}' but found {t}"))),
            None => Err(ParseError(format!(
                "expected '{op}' but the condition ended"
            ))),
        }
    }

    fn or(&mut self) -> Result<Condition, ParseError> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, ParseError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, ParseError> {
        if self.eat_word("not") {
            self.enter()?;
            let c = Condition::Not(Box::new(self.not()?));
            self.depth -= 1;
            return Ok(c);
        }
        self.atom()
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError(format!(
                "the condition nests more than {MAX_DEPTH} levels of brackets or 'not'"
            )));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<String, ParseError> {
        match self.next() {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => Ok(w),
            Some(t) => Err(ParseError(format!("expected a value but found {t}"))),
            None => Err(ParseError(
                "expected a value but the condition ended".into(),
            )),
        }
    }

    fn atom(&mut self) -> Result<Condition, ParseError> {
        match self.next() {
            Some(Tok::Op("(")) => {
                self.enter()?;
                let c = self.or()?;
                self.expect_op(")")?;
                self.depth -= 1;
                Ok(c)
            }
            Some(Tok::Word(w)) if w == "always" => Ok(Condition::Always),
            Some(Tok::Word(w)) if w == "answered" => {
                self.expect_op("(")?;
                let q = self.value()?;
                self.expect_op(")")?;
                Ok(Condition::Answered(q))
            }
            Some(Tok::Word(w)) if w == "signal" => {
                self.expect_op("(")?;
                let name = self.value()?;
                self.expect_op(")")?;
                Ok(Condition::Signal(name))
            }
            Some(Tok::Word(w)) if w == "indicators" || w == "high_indicators" => {
                let op = match self.next() {
                    Some(Tok::Op("<")) => CmpOp::Lt,
                    Some(Tok::Op("<=")) => CmpOp::Le,
                    Some(Tok::Op("==")) => CmpOp::Eq,
                    Some(Tok::Op(">=")) => CmpOp::Ge,
                    Some(Tok::Op(">")) => CmpOp::Gt,
                    _ => {
                        return Err(ParseError(format!(
                            "'{w}' must be followed by <, <=, ==, >= or >"
                        )));
                    }
                };
                let n = self.value()?;
                let n = n
                    .parse()
                    .map_err(|_| ParseError(format!("'{n}' is not a whole number")))?;
                Ok(Condition::Count {
                    high_only: w == "high_indicators",
                    op,
                    n,
                })
            }
            Some(Tok::Word(q)) if !["and", "or", "not", "in"].contains(&q.as_str()) => {
                // A bare name (at the end, or before `and`, `or` or `)`) is a named condition.
                let bare = match self.peek() {
                    None | Some(Tok::Op(")")) => true,
                    Some(Tok::Word(w)) => w == "and" || w == "or",
                    _ => false,
                };
                if bare {
                    return Ok(Condition::Named(q));
                }
                match self.next() {
                    Some(Tok::Op("==")) => Ok(Condition::In(q, vec![self.value()?])),
                    Some(Tok::Op("!=")) => Ok(Condition::Ne(q, self.value()?)),
                    Some(Tok::Word(w)) if w == "in" => {
                        self.expect_op("[")?;
                        let mut vs = vec![self.value()?];
                        loop {
                            match self.next() {
                                Some(Tok::Op(",")) => vs.push(self.value()?),
                                Some(Tok::Op("]")) => break,
                                _ => return Err(ParseError("a list must look like [a, b]".into())),
                            }
                        }
                        Ok(Condition::In(q, vs))
                    }
                    _ => Err(ParseError(format!(
                        "'{q}' must be followed by ==, != or in [...], or stand alone as a named condition"
                    ))),
                }
            }
            Some(t) => Err(ParseError(format!("unexpected {t}"))),
            None => Err(ParseError("the condition ended too early".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, &'static str>, u32, u32);
    impl AnswerLookup for Map {
        fn value(&self, q: &str) -> Option<&str> {
            self.0.get(q).copied()
        }
        fn concerns(&self, high: bool) -> u32 {
            if high { self.2 } else { self.1 }
        }
    }

    fn eval(src: &str, pairs: &[(&'static str, &'static str)]) -> bool {
        Condition::parse(src)
            .unwrap()
            .eval(&Map(pairs.iter().copied().collect(), 2, 1))
    }

    #[test]
    fn equality_and_lists() {
        assert!(eval("age == yes", &[("age", "yes")]));
        assert!(!eval("age == yes", &[("age", "no")]));
        assert!(eval("age in [yes, unsure]", &[("age", "unsure")]));
        assert!(eval("age in [\"yes\"]", &[("age", "yes")]));
    }

    #[test]
    fn unanswered_makes_comparisons_false() {
        assert!(!eval("age == yes", &[]));
        assert!(!eval("age != yes", &[]));
        assert!(eval("not age == yes", &[]));
        assert!(!eval("answered(age)", &[("age", "skipped")]));
    }

    #[test]
    fn precedence_not_and_or() {
        // a or (b and c)
        assert!(eval("a == yes or b == yes and c == yes", &[("a", "yes")]));
        assert!(!eval(
            "(a == yes or b == yes) and c == yes",
            &[("a", "yes")]
        ));
        assert!(eval("not a == no and b == yes", &[("b", "yes")]));
    }

    #[test]
    fn counts() {
        assert!(eval("indicators >= 2", &[]));
        assert!(!eval("indicators > 2", &[]));
        assert!(eval("high_indicators == 1", &[]));
    }

    #[test]
    fn bad_syntax_is_an_error_not_a_panic() {
        for bad in [
            "",
            "age ==",
            "age = yes",
            "age in [yes",
            "(age == yes",
            "indicators >= x",
            "\"open",
            "age == yes yes",
            "é",
        ] {
            assert!(Condition::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn named_conditions_parse_and_resolve() {
        let c = Condition::parse("child and (msht or a == yes)").unwrap();
        assert_eq!(c.names(), vec!["child", "msht"]);
        let defs = |n: &str| match n {
            "child" => Some(Condition::parse("age in [yes, unsure]").unwrap()),
            "msht" => Some(Condition::parse("indicators >= 3 or signal(x)").unwrap()),
            _ => None,
        };
        let (r, errs) = c.resolve(&defs);
        assert!(errs.is_empty(), "{errs:?}");
        assert!(r.names().is_empty());
        assert_eq!(r.questions(), vec!["age", "a"]);
        assert_eq!(r.signals(), vec!["x"]);
        // Unresolved names are reported and evaluate to false.
        let (r, errs) = Condition::parse("nope or a == yes").unwrap().resolve(&defs);
        assert_eq!(errs.len(), 1);
        assert!(!r.eval(&Map(HashMap::new(), 0, 0)));
    }

    #[test]
    fn a_named_condition_that_refers_to_itself_is_an_error_not_a_loop() {
        let defs = |n: &str| match n {
            "a" => Some(Condition::parse("b").unwrap()),
            "b" => Some(Condition::parse("a or x == yes").unwrap()),
            _ => None,
        };
        let (_, errs) = Condition::parse("a").unwrap().resolve(&defs);
        assert!(errs.iter().any(|e| e.contains("itself")), "{errs:?}");
    }

    #[test]
    fn signals_use_the_lookup_and_default_to_false() {
        struct Sig;
        impl AnswerLookup for Sig {
            fn value(&self, _: &str) -> Option<&str> {
                None
            }
            fn concerns(&self, _: bool) -> u32 {
                0
            }
            fn signalled(&self, s: &str) -> bool {
                s == "child"
            }
        }
        let c = Condition::parse("signal(child) and not signal(other)").unwrap();
        assert!(c.eval(&Sig));
        assert!(!c.eval(&Map(HashMap::new(), 0, 0)));
        assert!(Condition::parse("signal(child").is_err());
    }

    #[test]
    fn deep_nesting_and_huge_conditions_are_errors_not_stack_overflows() {
        // The cases: 10,000 brackets and 100,000 chained `not`.
        for src in [
            format!("{}a == yes{}", "(".repeat(10_000), ")".repeat(10_000)),
            format!("{}a == yes", "not ".repeat(100_000)),
        ] {
            assert!(Condition::parse(&src).is_err());
        }
        let deep = format!("{}a == yes{}", "(".repeat(100), ")".repeat(100));
        assert!(
            Condition::parse(&deep)
                .unwrap_err()
                .0
                .contains("nests more than")
        );
        let nots = format!("{}a == yes", "not ".repeat(100));
        assert!(
            Condition::parse(&nots)
                .unwrap_err()
                .0
                .contains("nests more than")
        );
        let long = vec!["a == yes"; 5_000].join(" and ");
        assert!(Condition::parse(&long).unwrap_err().0.contains("more than"));
        let fine = format!("{}a == yes{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Condition::parse(&fine).is_ok());
    }

    #[test]
    fn lists_named_questions_once() {
        let c = Condition::parse("a == yes or (a == no and answered(b))").unwrap();
        assert_eq!(c.questions(), vec!["a", "b"]);
    }
}
