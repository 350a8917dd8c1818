import IsomorphCLI

IsomorphCommand.main()
