# A small JSON Schema evaluator (the subset of draft 2020-12 that
# docs/openapi.json uses), shared by tests/integration/openapi.sh, which
# checks the document's examples, and tests/integration/api_openapi.py, which
# checks the server's answers. Python's standard library only: Debian ships
# no validator for OpenAPI 3.1 schemas (see openapi.sh).
#
# Supported: $ref (local, "#/..."), type, enum, const, properties, required,
# additionalProperties, patternProperties, propertyNames, min/maxProperties,
# items, prefixItems, min/maxItems, uniqueItems, pattern, min/maxLength,
# format (date, date-time, uuid), minimum, maximum, exclusiveMinimum,
# exclusiveMaximum, allOf, anyOf, oneOf, not. Annotations (description,
# examples, default, ...) are ignored, and so is any keyword not listed here;
# openapi.sh refuses unknown keywords in the document, so none goes unseen.
import re

DATE = r"^\d{4}-\d{2}-\d{2}$"
DATE_TIME = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
FORMATS = {"date": DATE, "date-time": DATE_TIME, "uuid": UUID}


def type_ok(t, v):
    """Whether v is of JSON Schema type t (booleans are not numbers)."""
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    return False


def same(a, b):
    """JSON equality: 1 and True differ, 1 and 1.0 do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


class Validator:
    """Validates values against the schemas of one document (for $ref)."""

    def __init__(self, doc):
        self.doc = doc

    def resolve(self, ref):
        """The target of a local reference; raises KeyError otherwise."""
        if not ref.startswith("#"):
            raise KeyError("not a local reference: " + ref)
        node = self.doc
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def deref(self, node):
        """Follows $ref until an object that is not a reference."""
        for _ in range(20):
            if not (isinstance(node, dict) and "$ref" in node):
                break
            node = self.resolve(node["$ref"])
        return node

    def errors(self, s, v, where="$", depth=0):
        """A list of sentences, one per way v fails schema s ([] when valid)."""
        if s is True or depth > 50:
            return []
        if s is False:
            return ["%s: no value is allowed here" % where]
        out = []
        if "$ref" in s:
            out += self.errors(self.resolve(s["$ref"]), v, where, depth + 1)
        t = s.get("type")
        if t is not None:
            ts = t if isinstance(t, list) else [t]
            if not any(type_ok(x, v) for x in ts):
                return out + ["%s: expected %s, got %s" % (where, "/".join(ts), short(v))]
        if "enum" in s and not any(same(v, e) for e in s["enum"]):
            out.append("%s: %s is not one of the enumeration" % (where, short(v)))
        if "const" in s and not same(v, s["const"]):
            out.append("%s: expected %r, got %s" % (where, s["const"], short(v)))
        if isinstance(v, str):
            out += self._string(s, v, where)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out += self._number(s, v, where)
        if isinstance(v, list):
            out += self._array(s, v, where, depth)
        if isinstance(v, dict):
            out += self._object(s, v, where, depth)
        out += self._combined(s, v, where, depth)
        return out

    def _string(self, s, v, where):
        out = []
        if "pattern" in s and not re.search(s["pattern"], v):
            out.append("%s: %s does not match %s" % (where, short(v), s["pattern"]))
        if len(v) < s.get("minLength", 0) or len(v) > s.get("maxLength", len(v)):
            out.append("%s: wrong length (%d)" % (where, len(v)))
        fmt = FORMATS.get(s.get("format"))
        if fmt is not None and not re.match(fmt, v):
            out.append("%s: %s is not a %s" % (where, short(v), s["format"]))
        return out

    def _number(self, s, v, where):
        out = []
        if "minimum" in s and v < s["minimum"]:
            out.append("%s: %r is below the minimum %r" % (where, v, s["minimum"]))
        if "maximum" in s and v > s["maximum"]:
            out.append("%s: %r is above the maximum %r" % (where, v, s["maximum"]))
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
            out.append("%s: %r is not above %r" % (where, v, s["exclusiveMinimum"]))
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]:
            out.append("%s: %r is not below %r" % (where, v, s["exclusiveMaximum"]))
        return out

    def _array(self, s, v, where, depth):
        out = []
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems", len(v)):
            out.append("%s: wrong number of items (%d)" % (where, len(v)))
        if s.get("uniqueItems") and len({repr(x) for x in v}) != len(v):
            out.append("%s: items are not unique" % where)
        prefix = s.get("prefixItems", [])
        for i, x in enumerate(v):
            if i < len(prefix):
                out += self.errors(prefix[i], x, "%s/%d" % (where, i), depth + 1)
            elif "items" in s:
                out += self.errors(s["items"], x, "%s/%d" % (where, i), depth + 1)
        return out

    def _object(self, s, v, where, depth):
        out = []
        props = s.get("properties", {})
        patterns = s.get("patternProperties", {})
        for r in s.get("required", []):
            if r not in v:
                out.append("%s: missing %s" % (where, r))
        if len(v) < s.get("minProperties", 0) or len(v) > s.get("maxProperties", len(v)):
            out.append("%s: wrong number of properties (%d)" % (where, len(v)))
        for k, x in v.items():
            sub = "%s/%s" % (where, k)
            matched = k in props
            if matched:
                out += self.errors(props[k], x, sub, depth + 1)
            for pat, ps in patterns.items():
                if re.search(pat, k):
                    matched = True
                    out += self.errors(ps, x, sub, depth + 1)
            if not matched and "additionalProperties" in s:
                if s["additionalProperties"] is False:
                    out.append("%s: unexpected key %s" % (where, k))
                else:
                    out += self.errors(s["additionalProperties"], x, sub, depth + 1)
            if "propertyNames" in s:
                out += self.errors(s["propertyNames"], k, "%s (key %s)" % (where, k), depth + 1)
        return out

    def _combined(self, s, v, where, depth):
        out = []
        for sub in s.get("allOf", []):
            out += self.errors(sub, v, where, depth + 1)
        if "anyOf" in s and all(self.errors(sub, v, where, depth + 1) for sub in s["anyOf"]):
            out.append("%s: matches none of anyOf" % where)
        if "oneOf" in s:
            n = sum(1 for sub in s["oneOf"] if not self.errors(sub, v, where, depth + 1))
            if n != 1:
                out.append("%s: matches %d of oneOf, not exactly one" % (where, n))
        if "not" in s and not self.errors(s["not"], v, where, depth + 1):
            out.append("%s: matches what is excluded (not)" % where)
        return out


def short(v):
    """A value for a message, cut short."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
