using OpenDesk.IntegrationTests.Infrastructure;
using OpenDesk.Serve.Commands;

namespace OpenDesk.IntegrationTests.Remote;

/// <summary>The service files <c>opendesk install-service</c> writes, rendered without touching the service manager.</summary>
public sealed class ServiceRenderingTests
{
    private static readonly ServiceCommand.ServiceSpec s_spec = new(["/opt/opendesk/opendesk"], 8423, "/home/u/.od home", "/home/u/.od home");

    [Fact]
    public void SystemdUnit_RunsServeAsTheUser_RestartsOnFailure()
    {
        string unit = ServiceCommand.RenderSystemdUnit(s_spec);
        Assert.Contains("[Unit]\nDescription=OpenDesk server (opendesk serve)\nAfter=network-online.target\nWants=network-online.target\n", unit, StringComparison.Ordinal);
        Assert.Contains("ExecStart=/opt/opendesk/opendesk serve --port 8423 --home \"/home/u/.od home\"\n", unit, StringComparison.Ordinal);
        Assert.Contains("Type=simple\n", unit, StringComparison.Ordinal);
        Assert.Contains("Restart=on-failure\nRestartSec=5\n", unit, StringComparison.Ordinal);
        Assert.Contains("[Install]\nWantedBy=default.target\n", unit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemdUnit_PassesSystemdAnalyzeVerify_WhenAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("systemd is Linux only");
        }

        using var homes = new TestHomes();
        string exe = Path.Combine(homes.Root, "opendesk");
        await File.WriteAllTextAsync(exe, "#!/bin/sh\n", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        string unit = Path.Combine(homes.Root, "opendesk.service");
        await File.WriteAllTextAsync(unit, ServiceCommand.RenderSystemdUnit(new ServiceCommand.ServiceSpec([exe], 8423, null, homes.Root)), TestContext.Current.CancellationToken);

        (int code, string error) = await VerifyAsync(["verify", "--user", unit]);
        if (code != 0 && error.Contains("Failed to initialize manager", StringComparison.Ordinal))
        {
            // No user manager in this environment (containers): the system manager checks the same syntax and ExecStart.
            (code, error) = await VerifyAsync(["verify", unit]);
        }

        Assert.True(code == 0, error);
    }

    private static async Task<(int Code, string Error)> VerifyAsync(string[] args)
    {
        OpendeskProcess verify;
        try
        {
            verify = OpendeskProcess.Start("systemd-analyze", args);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("systemd-analyze is not installed");
            throw;
        }

        await using (verify)
        {
            int code = await verify.WaitForExitAsync(TimeSpan.FromSeconds(60));
            return (code, verify.StandardError);
        }
    }

    [Fact]
    public void LaunchdPlist_HasLabelArgumentsKeepAliveAndLogs()
    {
        string plist = ServiceCommand.RenderLaunchdPlist(s_spec);
        System.Xml.Linq.XDocument doc = System.Xml.Linq.XDocument.Parse(plist);
        Assert.NotNull(doc.Root);
        Assert.Contains("<string>com.opendesk.serve</string>", plist, StringComparison.Ordinal);
        Assert.Contains("<string>/opt/opendesk/opendesk</string>\n    <string>serve</string>\n    <string>--port</string>\n    <string>8423</string>\n    <string>--home</string>\n    <string>/home/u/.od home</string>", plist, StringComparison.Ordinal);
        Assert.Contains("<key>RunAtLoad</key>\n  <true/>", plist, StringComparison.Ordinal);
        Assert.Contains("<key>KeepAlive</key>\n  <true/>", plist, StringComparison.Ordinal);
        Assert.Contains("<string>/home/u/.od home/serve.log</string>", plist, StringComparison.Ordinal);
        Assert.Contains("<string>/home/u/.od home/serve.err</string>", plist, StringComparison.Ordinal);
    }

    [Fact]
    public void TaskScheduler_CreatesALimitedOnLogonTask()
    {
        Assert.Equal(
            ["/create", "/tn", "opendesk", "/tr", "/opt/opendesk/opendesk serve --port 8423 --home \"/home/u/.od home\"", "/sc", "onlogon", "/rl", "limited", "/f"],
            ServiceCommand.RenderSchtasksCreate(s_spec));
    }

    [Fact]
    public void CurrentCommand_UnderDotnet_RunsTheDll()
    {
        IReadOnlyList<string> command = ServiceCommand.CurrentCommand();
        Assert.NotEmpty(command);
        if (Path.GetFileNameWithoutExtension(command[0]) == "dotnet")
        {
            Assert.EndsWith("opendesk.dll", command[1], StringComparison.Ordinal);
        }
    }
}
