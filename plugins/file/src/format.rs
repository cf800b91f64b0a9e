//! Turning file content into data and data into file content, per format.

use crate::config::Format;
use serde_json::{Map, Value};

/// Parses `content` as `format`.
pub fn decode(content: &str, format: Format, csv_header: bool) -> Result<Value, String> {
    match format {
        Format::Json => serde_json::from_str(content).map_err(|e| format!("not valid JSON: {e}")),
        Format::Yaml => {
            if content.trim().is_empty() {
                return Ok(Value::Null);
            }
            yaml_serde::from_str(content).map_err(|e| format!("not valid YAML: {e}"))
        }
        Format::Csv => decode_csv(content, csv_header),
        Format::Text => Ok(Value::String(content.to_string())),
    }
}

fn decode_csv(content: &str, header: bool) -> Result<Value, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(header)
        .flexible(true)
        .from_reader(content.as_bytes());
    let names: Vec<String> = if header {
        reader
            .headers()
            .map_err(|e| format!("not valid CSV: {e}"))?
            .iter()
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("not valid CSV: {e}"))?;
        let cells = record.iter().map(|c| Value::String(c.to_string()));
        rows.push(if header {
            let mut row = Map::new();
            for (i, cell) in cells.enumerate() {
                let name = names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("column{}", i + 1));
                row.insert(name, cell);
            }
            Value::Object(row)
        } else {
            Value::Array(cells.collect())
        });
    }
    Ok(Value::Array(rows))
}

/// The data to write: a string payload holding JSON is that JSON value for
/// the structured formats (a template rendered with `tojson` is a string).
fn structured(data: &Value) -> Value {
    match data {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| data.clone()),
        other => other.clone(),
    }
}

/// Renders `data` as `format`.
pub fn encode(data: &Value, format: Format, csv_header: bool) -> Result<String, String> {
    match format {
        Format::Json => serde_json::to_string_pretty(&structured(data))
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Yaml => yaml_serde::to_string(&structured(data)).map_err(|e| e.to_string()),
        Format::Csv => encode_csv(&structured(data), csv_header),
        Format::Text => Ok(match data {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn encode_csv(data: &Value, header: bool) -> Result<String, String> {
    let rows = data
        .as_array()
        .ok_or_else(|| format!("CSV needs a list of rows, not {}", kind(data)))?;
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(m) = row {
            for key in m.keys() {
                if !names.contains(key) {
                    names.push(key.clone());
                }
            }
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write CSV: {e}");
    if header && !names.is_empty() {
        writer.write_record(&names).map_err(fail)?;
    }
    for row in rows {
        let cells: Vec<String> = match row {
            Value::Object(m) => names
                .iter()
                .map(|n| m.get(n).map(cell).unwrap_or_default())
                .collect(),
            Value::Array(items) => items.iter().map(cell).collect(),
            other => vec![cell(other)],
        };
        writer.write_record(&cells).map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| format!("cannot write CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write CSV: {e}"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_round_trip_through_objects() {
        let rows = json!([{"name": "ada", "age": 36}, {"name": "alan", "city": "London"}]);
        let text = encode(&rows, Format::Csv, true).unwrap();
        assert_eq!(text, "name,age,city\nada,36,\nalan,,London\n");
        assert_eq!(
            decode(&text, Format::Csv, true).unwrap(),
            json!([{"name": "ada", "age": "36", "city": ""}, {"name": "alan", "age": "", "city": "London"}])
        );
        assert_eq!(
            decode("a,b\n1,2\n", Format::Csv, false).unwrap(),
            json!([["a", "b"], ["1", "2"]])
        );
    }

    #[test]
    fn structured_formats_accept_json_text_payloads() {
        let yaml = encode(&json!("{\"a\": [1, 2]}"), Format::Yaml, true).unwrap();
        assert_eq!(
            decode(&yaml, Format::Yaml, true).unwrap(),
            json!({"a": [1, 2]})
        );
        assert_eq!(
            encode(&json!({"a": 1}), Format::Text, true).unwrap(),
            "{\"a\":1}"
        );
        assert!(decode("{", Format::Json, true)
            .unwrap_err()
            .starts_with("not valid JSON"));
        assert!(encode(&json!(3), Format::Csv, true)
            .unwrap_err()
            .contains("not a number"));
    }
}
