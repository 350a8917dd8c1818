import ArgumentParser
public struct IsomorphCommand: ParsableCommand { public init() {} }
