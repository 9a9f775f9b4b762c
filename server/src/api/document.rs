//! What the OpenAPI document says once for every operation instead of in each handler's
//! annotation: problem responses are `application/problem+json`; the statuses the edge and the
//! extractors answer for any operation of a kind (a bad query, a bad JSON body, missing
//! credentials, a too-long URI) are declared where they can happen; and text holds no control
//! characters, as every JSON body is checked for.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

use crate::error::PROBLEM_JSON;

/// The route that serves the document is in it too, so that every route under `/api/v1` is.
pub fn describe_itself(openapi: &mut OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder};
    use utoipa::openapi::schema::ObjectBuilder;
    let document = ObjectBuilder::new().schema_type(Type::Object).build();
    let operation = OperationBuilder::new()
        .operation_id(Some("openapi"))
        .summary(Some("This OpenAPI 3.1 document."))
        .response(
            "200",
            ResponseBuilder::new()
                .description("the document")
                .content("application/json", Content::new(Some(document))),
        )
        .build();
    openapi
        .paths
        .add_path_operation("/api/v1/openapi.json", vec![HttpMethod::Get], operation);
}

/// Completes every operation's responses; see the module documentation.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        plain_text_requests(openapi);
        for item in openapi.paths.paths.values_mut() {
            let reads = [&mut item.get, &mut item.head, &mut item.options];
            for operation in reads.into_iter().flatten() {
                complete(operation, true);
            }
            let writes = [&mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in writes.into_iter().flatten() {
                complete(operation, false);
            }
        }
    }
}

/// `read`: a GET (or HEAD, OPTIONS), which needs no CSRF token.
fn complete(operation: &mut Operation, read: bool) {
    // OpenAPI: a path parameter is always required (utoipa loses this with `schema_with`).
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.parameter_in == ParameterIn::Path {
            parameter.required = utoipa::openapi::Required::True;
        }
    }
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response
            && response.content.get("application/json").is_some_and(is_problem)
            && let Some(problem) = response.content.shift_remove("application/json")
        {
            response.content.insert(PROBLEM_JSON.to_owned(), problem);
        }
    }
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|parameter| parameter.parameter_in == ParameterIn::Query);
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    let any_body = operation.request_body.is_some();
    // utoipa keeps a requirement's scheme names private; its JSON form has them as keys.
    let schemes: Vec<String> = operation
        .security
        .iter()
        .flatten()
        .filter_map(|requirement| serde_json::to_value(requirement).ok())
        .filter_map(|requirement| {
            requirement
                .as_object()
                .map(|names| names.keys().cloned().collect::<Vec<_>>())
        })
        .flatten()
        .collect();
    let authenticated = !schemes.is_empty();
    // Staff are refused what their role does not allow; a session's state-changing request
    // without its CSRF token is refused too.
    let refusable = schemes.iter().any(|scheme| scheme.starts_with("staff"))
        || (schemes.iter().any(|scheme| scheme == "parent_session") && !read);
    let statuses = [
        (
            "400",
            has_query || json_body,
            "the query or the JSON body cannot be read",
        ),
        ("401", authenticated, "missing, unknown or expired credentials"),
        (
            "403",
            refusable,
            "not allowed for this identity, or a session's request without its X-CSRF-Token",
        ),
        ("413", any_body, "the body is larger than the configured limit"),
        ("414", true, "the URI is longer than 8 KiB"),
        ("415", json_body, "the body is not application/json"),
        (
            "422",
            json_body,
            "a field is invalid (or holds a control character)",
        ),
        ("431", true, "more than 100 header fields or 32 KiB of headers"),
        ("500", true, "an internal failure; nothing was saved"),
    ];
    for (status, applies, description) in statuses {
        if applies && !operation.responses.responses.contains_key(status) {
            let response = ResponseBuilder::new()
                .description(description)
                .content(PROBLEM_JSON, problem_content())
                .build();
            operation
                .responses
                .responses
                .insert(status.to_owned(), RefOr::T(response));
        }
    }
}

/// Text without control characters other than tab, line feed and carriage return: what
/// `extract::parse_json` lets through.
const PLAIN_TEXT: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// Gives every free-text string of what clients send the [`PLAIN_TEXT`] pattern: the schemas
/// of request bodies and every component they refer to. Answers may quote what was sent (a
/// problem names the wrong value), so response-only schemas are left alone.
fn plain_text_requests(openapi: &mut OpenApi) {
    let mut pending: Vec<String> = Vec::new();
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
        let bodies = operations
            .into_iter()
            .flatten()
            .filter_map(|operation| operation.request_body.as_mut());
        for body in bodies {
            for schema in body
                .content
                .values_mut()
                .filter_map(|content| content.schema.as_mut())
            {
                walk(schema, &mut |node| plain_text(node, &mut pending));
            }
        }
    }
    let Some(components) = &mut openapi.components else {
        return;
    };
    let mut done = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.schemas.get_mut(&name) {
            walk(schema, &mut |node| plain_text(node, &mut pending));
        }
    }
}

/// Patterns one free-text string, or notes the component a reference names.
fn plain_text(node: &mut RefOr<Schema>, references: &mut Vec<String>) {
    match node {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix("#/components/schemas/") {
                references.push(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(object)) => {
            let string = match &object.schema_type {
                SchemaType::Type(kind) => *kind == Type::String,
                SchemaType::Array(kinds) => kinds.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if string && object.pattern.is_none() && object.enum_values.is_none() && object.format.is_none() {
                object.pattern = Some(PLAIN_TEXT.to_owned());
            }
        }
        RefOr::T(_) => {}
    }
}

/// Calls `visit` on `schema` and on every schema inside it.
fn walk(schema: &mut RefOr<Schema>, visit: &mut impl FnMut(&mut RefOr<Schema>)) {
    visit(schema);
    let RefOr::T(inner) = schema else {
        return;
    };
    match inner {
        Schema::Object(object) => {
            object
                .properties
                .values_mut()
                .for_each(|property| walk(property, visit));
            if let Some(additional) = object.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(values) = additional
            {
                walk(values, visit);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                walk(items, visit);
            }
        }
        Schema::OneOf(choice) => choice.items.iter_mut().for_each(|item| walk(item, visit)),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|item| walk(item, visit)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|item| walk(item, visit)),
        _ => {}
    }
}

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name("Problem")))
}

fn is_problem(content: &Content) -> bool {
    matches!(&content.schema, Some(RefOr::Ref(reference)) if reference.ref_location.ends_with("/Problem"))
}
