import IsomorphCLI
IsomorphCommand.main()
