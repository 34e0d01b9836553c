from musicmap_desktop.cli import main

# The guard matters: decoder worker processes (spawn) import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
