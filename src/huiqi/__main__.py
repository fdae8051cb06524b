from huiqi.cli import app

app(prog_name="huiqi")
