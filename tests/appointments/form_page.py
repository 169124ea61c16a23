"""Submitting a form the way a browser does: the values the page rendered (hidden
fields included), with only the fields a person changed replaced."""

from html.parser import HTMLParser


class _Form(HTMLParser):
    """The fields of the page's own form (the first that posts back to the page),
    with the values it rendered."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self.inputs: dict[str, dict] = {}
        self._in_form = self._done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._done:
            return
        if tag == "form" and attrs.get("method", "").lower() == "post":
            # The page's own form (it posts back to the page), not the sign-out one.
            self._in_form = not attrs.get("action")
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            self.inputs[name] = attrs
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "on")
            elif kind != "submit":
                self.values[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in attrs or self._select not in self.values:
                self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self.values[name] = ""
            self._textarea = name

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def read_form(page: str) -> _Form:
    form = _Form()
    form.feed(page)
    return form


def submit(client, url: str, **changes):
    """GET `url`, then POST its own form with what it rendered and `changes`."""
    form = read_form(client.get(url).content.decode())
    return client.post(url, {**form.values, **changes})
