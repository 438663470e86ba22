namespace ReproDiff.Data;

/// <summary>
/// Next-item data with a leave-one-out split (DiffuRec's released pickles): each user's chronological training sequence,
/// then one validation item and one test item. Item ids are 1-based; 0 is the padding id.
/// </summary>
public sealed class SequenceDataset
{
    public string Name { get; }
    /// <summary>Number of items; ids run 1..Items.</summary>
    public int Items { get; }
    public int[][] Train { get; }
    public int[] Valid { get; }
    public int[] Test { get; }
    public int Users => Train.Length;

    public SequenceDataset(string name, int items, int[][] train, int[] valid, int[] test)
    {
        if (valid.Length != train.Length || test.Length != train.Length)
            throw new ArgumentException("train, valid and test must have one entry per user.");
        Name = name; Items = items; Train = train; Valid = valid; Test = test;
    }

    /// <summary>Loads <c>train.tsv</c> (user, position, item), <c>valid.tsv</c> and <c>test.tsv</c> (user, item), checking the card.</summary>
    public static SequenceDataset Load(string folder, DatasetCard? card = null)
    {
        var name = card?.Name ?? Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        var trainPath = Path.Combine(folder, "train.tsv");
        var t = TsvReader.ReadIntColumns(trainPath, "user", "position", "item");
        var v = TsvReader.ReadIntColumns(Path.Combine(folder, "valid.tsv"), "user", "item");
        var s = TsvReader.ReadIntColumns(Path.Combine(folder, "test.tsv"), "user", "item");
        int users = v[0].Length;
        var expectedUsers = Enumerable.Range(0, users);
        if (!v[0].SequenceEqual(expectedUsers)) throw new ReproDiffException($"{Path.Combine(folder, "valid.tsv")}: users must be 0..{users - 1} in order, one line each.");
        if (!s[0].SequenceEqual(expectedUsers)) throw new ReproDiffException($"{Path.Combine(folder, "test.tsv")}: users must be 0..{users - 1} in order, one line each.");

        var lists = Enumerable.Range(0, users).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < t[0].Length; i++)
        {
            int u = t[0][i], pos = t[1][i], item = t[2][i];
            if (u >= users) throw TsvReader.Error(trainPath, i + 2, 1, $"user {u} has no valid/test item (users are 0..{users - 1})");
            if (pos != lists[u].Count) throw TsvReader.Error(trainPath, i + 2, 2, $"position {pos} of user {u} is out of order (expected {lists[u].Count})");
            if (item == 0) throw TsvReader.Error(trainPath, i + 2, 3, "item 0 is the padding id; items are 1-based");
            lists[u].Add(item);
        }
        int items = Math.Max(t[2].Max(), Math.Max(v[1].Max(), s[1].Max()));
        if (card is not null)
        {
            if (t[0].Length != card.File("train.tsv").Rows || users != card.Users || items != card.Items)
                throw new ReproDiffException($"{folder}: {users} users, {items} items, {t[0].Length} training rows, but the card of '{card.Name}' expects {card.Users}, {card.Items}, {card.File("train.tsv").Rows}.");
        }
        return new SequenceDataset(name, items, lists.Select(l => l.ToArray()).ToArray(), v[1], s[1]);
    }

    public static SequenceDataset Load(DataRoot root, string name)
    {
        var card = DatasetCatalog.Get(name);
        if (card.Layout != "sequences") throw new ReproDiffException($"dataset '{name}' is a user × item matrix, not sequences; use InteractionDataset.");
        return Load(root.DatasetFolder(name), card);
    }

    /// <summary>The first <paramref name="users"/> users (same items and ids): a smaller copy for quick runs and benchmarks.</summary>
    public SequenceDataset Head(int users)
    {
        if (users < 1) throw new ArgumentException($"Head: users must be positive, got {users}.");
        if (users >= Users) return this;
        return new SequenceDataset($"{Name} (first {users} users)", Items, Train[..users], Valid[..users], Test[..users]);
    }

    /// <summary>The last <paramref name="maxLength"/> items of a sequence, left-padded with 0 (DiffuRec's <c>max_len</c> = 50).</summary>
    public static int[] LeftPad(ReadOnlySpan<int> sequence, int maxLength)
    {
        var result = new int[maxLength];
        var take = Math.Min(sequence.Length, maxLength);
        sequence[^take..].CopyTo(result.AsSpan(maxLength - take));
        return result;
    }

    /// <summary>The input for evaluation: the training sequence (validation) or training + validation item (test).</summary>
    public int[] History(int user, bool forTest) => forTest ? [.. Train[user], Valid[user]] : Train[user];
}
