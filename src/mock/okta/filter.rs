//! The mock org's `search` / `filter` expressions: `attr op "value"` joined by `and` / `or`,
//! with parentheses; operators `eq`, `ne`, `sw`, `co`, `ew`, `gt`, `ge`, `lt`, `le`, `pr`.
//! String comparisons ignore case, as Okta's do; an attribute holding an array matches when
//! any element does.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Present(String),
    Compare(String, Op, Value),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Eq,
    Ne,
    Sw,
    Co,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated string".into());
                }
                tokens.push(Token::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(w));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while self.peek_word("and") {
            self.pos += 1;
            let right = self.factor()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.factor()?)));
        }
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(attr)) => {
                self.pos += 1;
                let Some(Token::Word(op)) = self.tokens.get(self.pos).cloned() else {
                    return Err(format!("missing operator after {attr}"));
                };
                self.pos += 1;
                let op = match op.to_ascii_lowercase().as_str() {
                    "pr" => return Ok(Expr::Present(attr)),
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "sw" => Op::Sw,
                    "co" => Op::Co,
                    "ew" => Op::Ew,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    other => return Err(format!("unknown operator {other}")),
                };
                let value = match self.tokens.get(self.pos).cloned() {
                    Some(Token::Str(s)) => Value::String(s),
                    Some(Token::Word(w)) => match w.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        n => n
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map(Value::Number)
                            .ok_or_else(|| format!("invalid value {n}"))?,
                    },
                    _ => return Err(format!("missing value after {attr} {op:?}")),
                };
                self.pos += 1;
                Ok(Expr::Compare(attr, op, value))
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

/// Parses an expression; the error says what is wrong.
pub(crate) fn parse(input: &str) -> Result<Expr, String> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err("empty expression".into());
    }
    // The parser recurses per '(' and 'not', and a long and/or chain builds a left-deep tree
    // that recurses on drop and evaluation: bound both so no input can overflow the stack.
    let nesting = tokens
        .iter()
        .filter(|t| {
            matches!(t, Token::Open) || matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("not"))
        })
        .count();
    if nesting > 64 || tokens.len() > 1024 {
        return Err("expression too long or nested too deeply".into());
    }
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err("trailing input".into());
    }
    Ok(expr)
}

fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn compare(actual: &Value, op: Op, expected: &Value) -> bool {
    if let Value::Array(items) = actual {
        return items.iter().any(|item| compare(item, op, expected));
    }
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = (a.to_lowercase(), e.to_lowercase());
            match op {
                Op::Eq => a == e,
                Op::Ne => a != e,
                Op::Sw => a.starts_with(&e),
                Op::Co => a.contains(&e),
                Op::Ew => a.ends_with(&e),
                Op::Gt => a > e,
                Op::Ge => a >= e,
                Op::Lt => a < e,
                Op::Le => a <= e,
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return false;
            };
            match op {
                Op::Eq => a == e,
                Op::Ne => a != e,
                Op::Gt => a > e,
                Op::Ge => a >= e,
                Op::Lt => a < e,
                Op::Le => a <= e,
                _ => false,
            }
        }
        (a, e) => match op {
            Op::Eq => a == e,
            Op::Ne => a != e,
            _ => false,
        },
    }
}

impl Expr {
    /// Whether a resource (as its JSON) matches.
    pub(crate) fn matches(&self, resource: &Value) -> bool {
        match self {
            Expr::And(a, b) => a.matches(resource) && b.matches(resource),
            Expr::Or(a, b) => a.matches(resource) || b.matches(resource),
            Expr::Not(a) => !a.matches(resource),
            Expr::Present(attr) => lookup(resource, attr).is_some_and(|v| !v.is_null()),
            Expr::Compare(attr, op, expected) => match lookup(resource, attr) {
                Some(actual) => compare(actual, *op, expected),
                None => matches!(op, Op::Eq) && expected.is_null(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_or_long_expressions_are_refused_not_a_stack_overflow() {
        let deep = format!(
            "{}status eq \"ACTIVE\"{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(parse(&deep).is_err());
        assert!(parse(&"not ".repeat(100_000)).is_err());
        let long = vec!["status eq \"ACTIVE\""; 20_000].join(" and ");
        assert!(parse(&long).is_err());
        assert!(parse(r#"(status eq "ACTIVE") and not (profile.login sw "a")"#).is_ok());
    }
    use serde_json::json;

    #[test]
    fn okta_style_expressions() {
        let user = json!({"id": "00u1", "status": "ACTIVE", "lastUpdated": "2024-02-01T00:00:00.000Z",
            "profile": {"department": "Eng", "login": "Isaac.Brock@example.com", "tags": ["a", "b"], "level": 3}});
        let t = |e: &str| parse(e).unwrap().matches(&user);
        assert!(t(r#"profile.department eq "eng""#));
        assert!(t(r#"profile.login sw "isaac""#));
        assert!(t(
            r#"status eq "ACTIVE" and (profile.level gt 2 or status eq "STAGED")"#
        ));
        assert!(t(
            r#"(status lt "ACTIVE" or status gt "ACTIVE") or profile.tags eq "b""#
        ));
        assert!(t(r#"lastUpdated gt "2024-01-01T00:00:00.000Z""#));
        assert!(!t(r#"profile.missing pr"#));
        assert!(t(r#"profile.level pr"#));
        assert!(parse(r#"status eq"#).is_err());
        assert!(parse(r#"status zz "x""#).is_err());
        assert!(parse(r#"(status eq "x""#).is_err());
    }
}
