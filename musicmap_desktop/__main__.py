from musicmap_desktop.cli import main

raise SystemExit(main())
