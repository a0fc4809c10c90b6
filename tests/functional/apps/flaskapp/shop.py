"""A small Flask application for the functional tests (mounted under /shop by the test)."""
from flask import (Flask, Response, abort, jsonify, redirect, request, stream_with_context,
                   url_for)

app = Flask(__name__)
ITEMS = {1: {"id": 1, "name": "teapot", "price": 12.5}}


class OutOfStock(Exception):
    def __init__(self, item_id):
        super().__init__(item_id)
        self.item_id = item_id


@app.errorhandler(OutOfStock)
def out_of_stock(exc):
    return jsonify(error="out of stock", item=exc.item_id), 409


@app.errorhandler(404)
def not_found(exc):
    return jsonify(error="not found", path=request.path), 404


@app.route("/hello/<name>")
def hello(name):
    return "Hello, %s!" % name


@app.route("/items/<int:item_id>")
def item(item_id):
    if item_id not in ITEMS:
        abort(404)
    return jsonify(ITEMS[item_id])


@app.route("/items/<int:item_id>/buy", methods=["POST"])
def buy(item_id):
    raise OutOfStock(item_id)


@app.route("/api/echo", methods=["POST"])
def echo():
    data = request.get_json()
    return jsonify(received=data, length=request.content_length,
                   content_type=request.content_type), 201


@app.route("/form", methods=["GET", "POST"])
def form():
    if request.method == "POST":
        return "name=%s tags=%s" % (request.form["name"], ",".join(request.form.getlist("tag")))
    return '<form method="post"><input name="name"></form>'


@app.route("/old")
def old():
    return redirect(url_for("hello", name="redirected"))


@app.route("/where")
def where():
    return jsonify(script_root=request.script_root, path=request.path, url=request.url,
                   url_for_item=url_for("item", item_id=7, _external=True))


@app.route("/stream")
def stream():
    count = request.args.get("n", 5, type=int)

    def generate():
        for i in range(count):
            yield "line %d of %d (%s)\n" % (i + 1, count, request.args.get("tag", "-"))

    return Response(stream_with_context(generate()), mimetype="text/plain")


@app.route("/crash")
def crash():
    return 1 / 0
