# A Flask JSON view.
from flask import Flask, jsonify

app = Flask("benchflask")


@app.route("/")
def index():
    return jsonify(service="bench", ok=True, items=[{"id": i, "name": "item %d" % i}
                                                    for i in range(10)])


application = app
