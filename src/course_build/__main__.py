from course_build.cli import main

raise SystemExit(main())
