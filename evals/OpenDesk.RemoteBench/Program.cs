using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenDesk.Benchmarking;
using OpenDesk.Core;
using OpenDesk.Remote.Client;
using OpenDesk.Remote.Trust;
using OpenDesk.Testing.Desktop;

// Remote benchmarks against a real `opendesk serve`: 10 000 sequential and 1 000 concurrent calls on one session,
// 200 connect/disconnect cycles, and serve RSS idle, after the load and while streaming display frames. Prints one
// line per measurement.
//   --computer fake|local   fake (default): FakeComputer through the hidden test switch, no desktop;
//                           local: the real LocalComputer on a private Xvfb 1920x1080 (openbox, xterm, xclock), so the
//                           stream carries real 1080p frames.
//   --quick                 only idle RSS and the stream (skip the call load and connect cycles).
//   --stream-seconds N      how long to stream (default 10).
//   --rounds N              rounds of 10 000 sequential + 1 000 concurrent calls (default 2; RSS after each).
//   --env NAME=VALUE        an extra environment variable for the serve process (repeatable; e.g. DOTNET_ knobs).
//   --dll PATH              the opendesk.dll to run (default: the ReadyToRun publish made by a Release build of this
//                           project, as `dotnet pack` ships it; else the plain build output).
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string dll = OpenDeskBuild.DefaultDll(typeof(Program).Assembly);
string computer = "fake";
bool quick = false;
int streamSeconds = 10;
int rounds = 2;
var extraEnv = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--computer":
            computer = Next();
            if (computer is not ("fake" or "local"))
            {
                throw new ArgumentException("--computer must be fake or local");
            }

            break;
        case "--quick":
            quick = true;
            break;
        case "--stream-seconds":
            streamSeconds = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--rounds":
            rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--env":
            string[] kv = Next().Split('=', 2);
            extraEnv[kv[0]] = kv.Length == 2 ? kv[1] : throw new ArgumentException("--env takes NAME=VALUE");
            break;
        case "--dll":
            dll = Next();
            break;
        default:
            throw new ArgumentException($"unknown argument {args[i]}");
    }
}

string fake = Path.Combine(AppContext.BaseDirectory, "OpenDesk.Testing.dll") + "!OpenDesk.Testing.FakeComputer";
string root = Path.Combine(Path.GetTempPath(), "od-bench-" + Guid.NewGuid().ToString("N")[..8]);
string serverHome = Path.Combine(root, "s"), clientHome = Path.Combine(root, "c");
int port = FreePort();
XvfbDesktop? desktop = null;
Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}; computer: {computer}; opendesk: {dll} ({OpenDeskBuild.Describe(dll)}); serve env: {string.Join(' ', extraEnv.Select(e => e.Key + "=" + e.Value))}");

Process Start(params string[] a)
{
    var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    info.ArgumentList.Add(dll);
    foreach (string x in a)
    {
        info.ArgumentList.Add(x);
    }

    if (desktop is null)
    {
        info.Environment["OPENDESK_TEST_COMPUTER"] = fake;
    }
    else
    {
        info.Environment.Remove("OPENDESK_TEST_COMPUTER");
        foreach ((string k, string v) in desktop.Environment)
        {
            info.Environment[k] = v;
        }
    }

    foreach ((string k, string v) in extraEnv)
    {
        info.Environment[k] = v;
    }

    return Process.Start(info)!;
}

static async Task WaitLineAsync(Process p, string prefix)
{
    while (await p.StandardOutput.ReadLineAsync() is { } line)
    {
        if (line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return;
        }
    }

    throw new InvalidOperationException("process ended: " + await p.StandardError.ReadToEndAsync());
}

static double RssMb(int pid)
{
    foreach (string line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
    }

    return double.NaN;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

try
{
    if (computer == "local")
    {
        desktop = new XvfbDesktop { Width = 1920, Height = 1080 };
        await desktop.InitializeAsync();
        desktop.StartApp("xterm", "-geometry", "160x50+40+40", "-e", "top", "-d", "0.5");
        desktop.StartApp("xclock", "-update", "1", "-geometry", "300x300+1500+100");
        await desktop.WaitForWindowAsync("xclock");
    }

    string portText = port.ToString(CultureInfo.InvariantCulture);
    using (Process pair = Start("pair", "--home", serverHome, "--host", "127.0.0.1", "--port", portText, "--no-mdns", "--code", "123456"))
    {
        await WaitLineAsync(pair, "opendesk pair listening");
        await using RemoteComputer paired = await OpenDeskClient.PairWithAsync("127.0.0.1", "123456", port, "bench", new OpenDeskClientOptions { Home = new OpenDeskHome(clientHome), UseMdns = false });
        await paired.DisposeAsync();
        await pair.WaitForExitAsync();
    }

    using Process serve = Start("serve", "--home", serverHome, "--host", "127.0.0.1", "--port", portText, "--no-mdns", "--no-audit");
    await WaitLineAsync(serve, "opendesk serve listening");
    await Task.Delay(2000);
    Console.WriteLine($"serve RSS idle (no session): {RssMb(serve.Id):0.0} MB");
    var options = new OpenDeskClientOptions { Home = new OpenDeskHome(clientHome), UseMdns = false };
    await using RemoteComputer remote = await OpenDeskClient.ConnectAsync("bench", options);
    await remote.Display.GetCursorPositionAsync(default);
    await Task.Delay(2000);
    double idle = RssMb(serve.Id);
    Console.WriteLine($"serve RSS idle (one session): {idle:0.0} MB");

    if (!quick)
    {
        await LoadAsync(remote, serve.Id, rounds);
    }

    await remote.DisposeAsync();
    if (!quick)
    {
        var cycles = Stopwatch.StartNew();
        for (int i = 0; i < 200; i++)
        {
            await using RemoteComputer c = await OpenDeskClient.ConnectAsync("bench", options);
            await c.Display.GetCursorPositionAsync(default);
        }

        cycles.Stop();
        Console.WriteLine($"200 connect+call+disconnect cycles: {cycles.Elapsed.TotalSeconds:0.00} s ({cycles.Elapsed.TotalMilliseconds / 200:0.0} ms/cycle); serve RSS {RssMb(serve.Id):0.0} MB");
    }

    await using RemoteComputer streamer = await OpenDeskClient.ConnectAsync("bench", options);
    using var streamFor = new CancellationTokenSource(TimeSpan.FromSeconds(streamSeconds));
    int frames = 0;
    long bytes = 0;
    double peak = 0;
    string size = "";
    var sw = Stopwatch.StartNew();
    try
    {
        await foreach (DisplayFrame f in streamer.Display.SubscribeAsync(new DisplayStreamOptions(Fps: 30), streamFor.Token))
        {
            frames++;
            bytes += f.Pixmap.Data.Length;
            size = $"{f.Pixmap.Width}x{f.Pixmap.Height} {f.Pixmap.Format}";
            if (frames % 5 == 0)
            {
                peak = Math.Max(peak, RssMb(serve.Id));
            }
        }
    }
    catch (OperationCanceledException)
    {
    }

    sw.Stop();
    peak = Math.Max(peak, RssMb(serve.Id));
    Console.WriteLine($"display.subscribe 30 fps for {sw.Elapsed.TotalSeconds:0.0} s: {frames} frames ({frames / sw.Elapsed.TotalSeconds:0.0} fps, {bytes / Math.Max(1, frames) / 1024.0:0} KiB/frame, {size}, {computer}); serve RSS peak {peak:0.0} MB");
    await streamer.DisposeAsync();
    await Task.Delay(2000);
    Console.WriteLine($"serve RSS 2 s after the stream: {RssMb(serve.Id):0.0} MB");
    serve.Kill();
    await serve.WaitForExitAsync();
}
finally
{
    if (desktop is not null)
    {
        await desktop.DisposeAsync();
    }

    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
    }
}

static async Task LoadAsync(RemoteComputer remote, int pid, int rounds)
{
    for (int i = 0; i < 500; i++)
    {
        await remote.Display.GetCursorPositionAsync(default);
    }

    double beforeLoad = RssMb(pid);
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 10_000; i++)
    {
        await remote.Display.GetCursorPositionAsync(default);
    }

    sw.Stop();
    Console.WriteLine($"10000 sequential display.cursor_position: {sw.Elapsed.TotalSeconds:0.00} s ({10_000 / sw.Elapsed.TotalSeconds:0} calls/s, {sw.Elapsed.TotalMilliseconds * 1000 / 10_000:0} µs/call); serve RSS {RssMb(pid):0.0} MB");

    sw.Restart();
    int errors = 0;
    await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
    {
        try
        {
            await remote.Windows.ListAsync(default);
        }
        catch (OpenDeskException)
        {
            Interlocked.Increment(ref errors);
        }
    }));
    sw.Stop();
    double afterLoad = RssMb(pid);
    Console.WriteLine($"1000 concurrent windows.list: {sw.Elapsed.TotalMilliseconds:0} ms, {errors} errors; serve RSS {afterLoad:0.0} MB (growth vs. warm {100 * (afterLoad - beforeLoad) / beforeLoad:+0.0;-0.0} %)");

    // More identical rounds: growth here (rather than in the first, which includes first-call costs) would be a leak.
    double previous = afterLoad;
    for (int round = 2; round <= rounds; round++)
    {
        for (int i = 0; i < 10_000; i++)
        {
            await remote.Display.GetCursorPositionAsync(default);
        }

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => remote.Windows.ListAsync(default).AsTask()));
        double now = RssMb(pid);
        Console.WriteLine($"round {round} (10000 sequential + 1000 concurrent): serve RSS {now:0.0} MB (growth vs. the round before {100 * (now - previous) / previous:+0.0;-0.0} %, vs. warm {100 * (now - beforeLoad) / beforeLoad:+0.0;-0.0} %)");
        previous = now;
    }
}
