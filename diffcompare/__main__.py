from diffcompare.cli import main

raise SystemExit(main())
