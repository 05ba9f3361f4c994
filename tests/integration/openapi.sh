#!/bin/sh
# Checks docs/openapi.json, the API description the daemon embeds and serves
# at /openapi.json, and that it describes exactly the server's routes.
# Prints TAP. Run by tests/run.sh with SK_BIN set.
#
# 1. Structure. Debian 12 ships no copy of the official OpenAPI 3.1 schema:
#    openapi-specification 3.1.0 carries the 2.0 and 3.0 schemas only,
#    JSON::Validator 5.14 (libjson-validator-perl) knows 2.0 and 3.0, and
#    nothing else packaged validates 3.1. So instead of validating against
#    that schema, a checker in python3 (standard library only, no network)
#    enforces its structural rules: required fields of every object, only
#    the keys OpenAPI 3.1 defines, valid status codes, a description on
#    every response, parameters well formed, every $ref resolving, every
#    path template parameter declared and every declared one used. It adds
#    the project's own rules: a unique operationId and a success response on
#    every operation, declared tags, bearer security on /v1 only, known JSON
#    Schema keywords, "required" keys that exist, and every example valid
#    against its schema (tests/lib/skschema.py, the evaluator that
#    api_openapi.py also checks the server's answers with).
# 2. Routes. The set of "METHOD /path" pairs in the document must equal
#    `safekeep serve --routes`; each pair missing on either side is its own
#    failing test point.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SK_BIN:-$ROOT/build/release/safekeep}
DOC="$ROOT/docs/openapi.json"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$ROOT/tests/lib/tap.sh"

if ! command -v python3 >/dev/null 2>&1; then
    not_ok "python3 is installed (scripts/deps.sh installs it)"
    exit 1
fi

# The route table, when the server can print it.
routes=""
if "$BIN" serve --routes >"$TMP/routes" 2>"$TMP/routes.err"; then
    routes="$TMP/routes"
fi

python3 - "$DOC" "$routes" "$ROOT/tests/lib" >"$TMP/results" 2>&1 <<'EOF'
import json, re, sys

sys.path.insert(0, sys.argv[3])
import skschema

doc_path, routes_path = sys.argv[1], sys.argv[2]
results = []  # (passed, name, details)

def report(name, problems):
    results.append((not problems, name, problems[:20]))

try:
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    report("docs/openapi.json is valid JSON", [])
except (OSError, ValueError) as e:
    report("docs/openapi.json is valid JSON", [str(e)])
    doc = None

def ext(k):
    return isinstance(k, str) and k.startswith("x-")

METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
ALLOWED = {
    "openapi": {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
                "components", "security", "tags", "externalDocs"},
    "info": {"title", "summary", "description", "termsOfService", "contact", "license",
             "version"},
    "contact": {"name", "url", "email"},
    "license": {"name", "identifier", "url"},
    "server": {"url", "description", "variables"},
    "components": {"schemas", "responses", "parameters", "examples", "requestBodies", "headers",
                   "securitySchemes", "links", "callbacks", "pathItems"},
    "pathItem": {"$ref", "summary", "description", "servers", "parameters"} | set(METHODS),
    "operation": {"tags", "summary", "description", "externalDocs", "operationId", "parameters",
                  "requestBody", "responses", "callbacks", "deprecated", "security", "servers"},
    "parameter": {"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                  "style", "explode", "allowReserved", "schema", "example", "examples",
                  "content"},
    "header": {"description", "required", "deprecated", "allowEmptyValue", "style", "explode",
               "allowReserved", "schema", "example", "examples", "content"},
    "requestBody": {"description", "content", "required"},
    "mediaType": {"schema", "example", "examples", "encoding"},
    "response": {"description", "headers", "content", "links"},
    "tag": {"name", "description", "externalDocs"},
    "securityScheme": {"type", "description", "name", "in", "scheme", "bearerFormat", "flows",
                       "openIdConnectUrl"},
    "reference": {"$ref", "summary", "description"},
}
REQUIRED = {"info": ["title", "version"], "license": ["name"], "server": ["url"],
            "parameter": ["name", "in"], "requestBody": ["content"], "response": ["description"],
            "tag": ["name"], "securityScheme": ["type"], "operation": ["responses"]}
SCHEMA_KEYS = {
    "$ref", "$id", "$schema", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor",
    "type", "enum", "const", "properties", "required", "additionalProperties", "items",
    "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
    "maxContains", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "oneOf", "anyOf", "allOf", "not", "if",
    "then", "else", "dependentRequired", "dependentSchemas", "propertyNames",
    "patternProperties", "unevaluatedProperties", "unevaluatedItems", "minProperties",
    "maxProperties", "title", "description", "default", "examples", "readOnly", "writeOnly",
    "deprecated", "contentMediaType", "contentEncoding", "contentSchema", "discriminator", "xml",
    "externalDocs", "example"}
TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}

def resolve_pointer(ref):
    """The target of a local reference, or raises KeyError."""
    if not ref.startswith("#"):
        raise KeyError("not a local reference")
    node = doc
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node

def deref(node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        node = resolve_pointer(node["$ref"])
        seen += 1
    return node

# ---- shape: allowed and required keys, walked object by object
shape = []

def check_obj(node, kind, where, allow_ref=True):
    if not isinstance(node, dict):
        shape.append("%s: expected an object" % where)
        return False
    if allow_ref and "$ref" in node:
        extra = [k for k in node if k not in ALLOWED["reference"]]
        if extra:
            shape.append("%s: a reference may not have %s" % (where, ", ".join(extra)))
        return False
    extra = [k for k in node if k not in ALLOWED[kind] and not ext(k)]
    if extra:
        shape.append("%s: unknown %s keys %s" % (where, kind, ", ".join(sorted(extra))))
    for k in REQUIRED.get(kind, []):
        if k not in node:
            shape.append("%s: missing required %s" % (where, k))
    return True

schema_problems = []

def walk_schema(s, where):
    if isinstance(s, bool):
        return
    if not isinstance(s, dict):
        schema_problems.append("%s: a schema must be an object or a boolean" % where)
        return
    for k in s:
        if k not in SCHEMA_KEYS and not ext(k):
            schema_problems.append("%s: unknown schema keyword %s" % (where, k))
    t = s.get("type")
    for one in (t if isinstance(t, list) else [t] if t is not None else []):
        if one not in TYPES:
            schema_problems.append("%s: unknown type %r" % (where, one))
    if "required" in s and "properties" in s:
        for r in s["required"]:
            if r not in s["properties"]:
                schema_problems.append("%s: required %s is not among the properties"
                                       % (where, r))
    for k in ("properties", "patternProperties", "$defs", "dependentSchemas"):
        for name, sub in (s.get(k) or {}).items():
            walk_schema(sub, "%s/%s/%s" % (where, k, name))
    for k in ("additionalProperties", "items", "contains", "not", "if", "then", "else",
              "propertyNames", "unevaluatedProperties", "unevaluatedItems"):
        if k in s:
            walk_schema(s[k], "%s/%s" % (where, k))
    for k in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for i, sub in enumerate(s.get(k) or []):
            walk_schema(sub, "%s/%s/%d" % (where, k, i))

examples = []  # (where, schema, value)

def walk_media(content, where):
    if not isinstance(content, dict) or not content:
        shape.append("%s: content must name at least one media type" % where)
        return
    for mt, media in content.items():
        w = "%s/content/%s" % (where, mt)
        if check_obj(media, "mediaType", w, allow_ref=False):
            if "schema" in media:
                walk_schema(media["schema"], w + "/schema")
                if "example" in media:
                    examples.append((w + "/example", media["schema"], media["example"]))

def walk_param(p, where, kind="parameter"):
    if not check_obj(p, kind, where):
        return
    if kind == "parameter" and p.get("in") not in ("query", "header", "path", "cookie"):
        shape.append("%s: in must be query, header, path or cookie" % where)
    if ("schema" in p) == ("content" in p):
        shape.append("%s: needs exactly one of schema and content" % where)
    if "schema" in p:
        walk_schema(p["schema"], where + "/schema")
    if "content" in p:
        walk_media(p["content"], where)

def walk_response(r, where):
    if not check_obj(r, "response", where):
        return
    for name, h in (r.get("headers") or {}).items():
        walk_param(h, "%s/headers/%s" % (where, name), "header")
    if "content" in r:
        walk_media(r["content"], where)

ops = []  # (method, path, operation, path item)

if doc is not None:
    top = []
    if not isinstance(doc, dict):
        top.append("the document must be an object")
    else:
        if not re.match(r"^3\.1\.\d+(-.+)?$", str(doc.get("openapi", ""))):
            top.append("openapi must be 3.1.x, is %r" % doc.get("openapi"))
        if not any(k in doc for k in ("paths", "components", "webhooks")):
            top.append("one of paths, components, webhooks is required")
        if "info" not in doc:
            top.append("info is required")
    report("top level: openapi 3.1.x, info, paths", top)

if isinstance(doc, dict):
    check_obj(doc, "openapi", "#", allow_ref=False)
    info = doc.get("info", {})
    if check_obj(info, "info", "#/info", allow_ref=False):
        for k in ("title", "version"):
            if not isinstance(info.get(k), str):
                shape.append("#/info/%s must be a string" % k)
        lic = info.get("license")
        if lic is not None and check_obj(lic, "license", "#/info/license", allow_ref=False):
            if "identifier" in lic and "url" in lic:
                shape.append("#/info/license: identifier and url exclude each other")
    for i, s in enumerate(doc.get("servers", [])):
        check_obj(s, "server", "#/servers/%d" % i, allow_ref=False)
    for i, t in enumerate(doc.get("tags", [])):
        check_obj(t, "tag", "#/tags/%d" % i, allow_ref=False)
    comps = doc.get("components", {})
    if check_obj(comps, "components", "#/components", allow_ref=False):
        for section, entries in comps.items():
            if ext(section):
                continue
            for name in entries:
                if not re.match(r"^[a-zA-Z0-9._-]+$", name):
                    shape.append("#/components/%s: bad name %r" % (section, name))
        for name, s in comps.get("schemas", {}).items():
            walk_schema(s, "#/components/schemas/" + name)
            if isinstance(s, dict):
                for i, ex in enumerate(s.get("examples", [])):
                    examples.append(("#/components/schemas/%s/examples/%d" % (name, i), s, ex))
        for name, p in comps.get("parameters", {}).items():
            walk_param(p, "#/components/parameters/" + name)
        for name, h in comps.get("headers", {}).items():
            walk_param(h, "#/components/headers/" + name, "header")
        for name, r in comps.get("responses", {}).items():
            walk_response(r, "#/components/responses/" + name)
        for name, sc in comps.get("securitySchemes", {}).items():
            w = "#/components/securitySchemes/" + name
            if check_obj(sc, "securityScheme", w):
                kind = sc.get("type")
                if kind not in ("apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"):
                    shape.append("%s: unknown type %r" % (w, kind))
                if kind == "http" and "scheme" not in sc:
                    shape.append("%s: http needs scheme" % w)
                if kind == "apiKey" and not ("name" in sc and "in" in sc):
                    shape.append("%s: apiKey needs name and in" % w)
    paths = doc.get("paths", {})
    for path, item in paths.items():
        w = "#/paths/" + path.replace("~", "~0").replace("/", "~1")
        if not path.startswith("/"):
            shape.append("%s: a path must start with /" % w)
        if not check_obj(item, "pathItem", w):
            continue
        for i, p in enumerate(item.get("parameters", [])):
            walk_param(p, "%s/parameters/%d" % (w, i))
        for m in METHODS:
            if m not in item:
                continue
            o = item[m]
            ow = "%s/%s" % (w, m)
            if not check_obj(o, "operation", ow, allow_ref=False):
                continue
            ops.append((m.upper(), path, o, item))
            for i, p in enumerate(o.get("parameters", [])):
                walk_param(p, "%s/parameters/%d" % (ow, i))
            if "requestBody" in o:
                rb = o["requestBody"]
                if check_obj(rb, "requestBody", ow + "/requestBody"):
                    walk_media(rb.get("content"), ow + "/requestBody")
            for code, r in (o.get("responses") or {}).items():
                walk_response(r, "%s/responses/%s" % (ow, code))
    report("every object has the keys OpenAPI 3.1 requires and no others", shape)
    report("schemas use known JSON Schema keywords and list their required properties",
           schema_problems)

    # ---- references
    bad_refs = []
    def find_refs(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    try:
                        resolve_pointer(v)
                    except (KeyError, IndexError, ValueError):
                        bad_refs.append("%s: %s does not resolve" % (where, v))
                else:
                    find_refs(v, where + "/" + str(k).replace("~", "~0").replace("/", "~1"))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                find_refs(v, "%s/%d" % (where, i))
    find_refs(doc, "#")
    report("every $ref resolves", bad_refs)

    # ---- operations
    ids, dup, op_problems = {}, [], []
    for m, p, o, item in ops:
        oid = o.get("operationId")
        if not isinstance(oid, str) or not oid:
            op_problems.append("%s %s: no operationId" % (m, p))
        elif oid in ids:
            dup.append("%s %s: operationId %s is also %s" % (m, p, oid, ids[oid]))
        else:
            ids[oid] = "%s %s" % (m, p)
        resp = o.get("responses") or {}
        if not resp:
            op_problems.append("%s %s: no responses" % (m, p))
        for code in resp:
            if code != "default" and not re.match(r"^[1-5](?:[0-9]{2}|XX)$", code):
                op_problems.append("%s %s: bad status code %s" % (m, p, code))
        if not any(c.startswith("2") for c in resp):
            op_problems.append("%s %s: no success (2xx) response" % (m, p))
    report("every operation has an operationId and responses, with valid status codes",
           op_problems)
    report("operationIds are unique", dup)

    # ---- parameters
    param_problems = []
    for m, p, o, item in ops:
        try:
            params = [deref(x) for x in item.get("parameters", [])]
            own = [deref(x) for x in o.get("parameters", [])]
        except (KeyError, IndexError, ValueError):
            continue  # reported above
        seen = set()
        for x in own:
            key = (x.get("name"), x.get("in"))
            if key in seen:
                param_problems.append("%s %s: parameter %s in %s twice" % (m, p, key[0], key[1]))
            seen.add(key)
        merged = {(x.get("name"), x.get("in")): x for x in params}
        merged.update({(x.get("name"), x.get("in")): x for x in own})
        declared = {n for (n, i) in merged if i == "path"}
        template = set(re.findall(r"\{([^{}]+)\}", p))
        for n in sorted(template - declared):
            param_problems.append("%s %s: path parameter {%s} is not declared" % (m, p, n))
        for n in sorted(declared - template):
            param_problems.append("%s %s: path parameter %s is not in the path" % (m, p, n))
        for (n, i), x in merged.items():
            if i == "path" and x.get("required") is not True:
                param_problems.append("%s %s: path parameter %s must be required" % (m, p, n))
    report("every path parameter is declared, required, and in its path", param_problems)

    # ---- security and tags
    sec_problems = []
    schemes = set((doc.get("components") or {}).get("securitySchemes", {}))
    def check_req(reqs, where):
        for r in reqs:
            for name in r:
                if name not in schemes:
                    sec_problems.append("%s: security scheme %s is not defined" % (where, name))
    check_req(doc.get("security", []), "#/security")
    for m, p, o, item in ops:
        eff = o.get("security", doc.get("security", []))
        check_req(eff, "%s %s" % (m, p))
        needs = p.startswith("/v1/")
        if needs and not any(r for r in eff):
            sec_problems.append("%s %s: a /v1 route must need the bearer token" % (m, p))
        if not needs and any(r for r in eff):
            sec_problems.append("%s %s: a public route must need no token" % (m, p))
    report("security names defined schemes; /v1 routes need a token, the others none",
           sec_problems)
    declared_tags = {t.get("name") for t in doc.get("tags", []) if isinstance(t, dict)}
    tag_problems = ["%s %s: tag %s is not declared" % (m, p, t)
                    for m, p, o, item in ops for t in o.get("tags", [])
                    if t not in declared_tags]
    report("every operation's tags are declared", tag_problems)

    # ---- examples against their schemas (tests/lib/skschema.py)
    validator = skschema.Validator(doc)
    ex_problems = []
    for where, schema, value in examples:
        try:
            ex_problems += validator.errors(schema, value, where)
        except (KeyError, IndexError, ValueError) as e:
            ex_problems.append("%s: cannot evaluate (%s)" % (where, e))
    report("every example (%d) is valid against its schema" % len(examples), ex_problems)

    # ---- the server's routes
    if routes_path:
        with open(routes_path, encoding="utf-8") as f:
            server = {line.strip() for line in f if line.strip()}
        documented = {"%s %s" % (m, p) for m, p, o, item in ops}
        for r in sorted(server - documented):
            results.append((False, "in docs/openapi.json: %s (the server serves it)" % r, []))
        for r in sorted(documented - server):
            results.append((False, "served by the server: %s (the document lists it)" % r, []))
        report("the document's %d routes are the server's %d routes"
               % (len(documented), len(server)),
               [] if server == documented else ["see the lines above"])

for passed, name, details in results:
    print("%s\t%s" % ("PASS" if passed else "FAIL", name))
    for d in details:
        print("#\t%s" % d)
EOF
status=$?

# Python's verdicts, renumbered through tap.sh.
last=""
while IFS='	' read -r verdict rest; do
    case $verdict in
    PASS) ok "$rest" ;;
    FAIL) not_ok "$rest" ;;
    '#') echo "# $rest" ;;
    *) echo "# $verdict $rest" ;;
    esac
    last=$verdict
done <"$TMP/results"
if [ "$status" -ne 0 ] || [ -z "$last" ]; then
    not_ok "the checker ran to the end" "python3 exited $status"
fi

if [ -z "$routes" ]; then
    not_ok "safekeep serve --routes prints the server's routes" \
        "$(head -c 300 "$TMP/routes.err" 2>/dev/null)"
fi
