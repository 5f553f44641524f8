from balie.cli import app

app(prog_name="balie")
