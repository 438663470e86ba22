namespace ReproDiff.Data;

/// <summary>A user × item 0/1 matrix in CSR form, with optional per-interaction weights (T-DiffRec's time weights).</summary>
public sealed class SparseMatrix
{
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>Row r's entries are <c>Indices[RowPointers[r]..RowPointers[r+1]]</c>, in file order (time order in DiffRec's data).</summary>
    public int[] RowPointers { get; }
    public int[] Indices { get; }
    public float[]? Values { get; }
    public int NonZeros => Indices.Length;

    public SparseMatrix(int rows, int columns, int[] rowPointers, int[] indices, float[]? values = null)
    {
        if (rowPointers.Length != rows + 1 || rowPointers[^1] != indices.Length || (values is not null && values.Length != indices.Length))
            throw new ArgumentException("inconsistent CSR arrays.");
        Rows = rows; Columns = columns; RowPointers = rowPointers; Indices = indices; Values = values;
    }

    /// <summary>Builds the matrix from (row, column) pairs, keeping each row's pairs in their input order.</summary>
    public static SparseMatrix FromPairs(int rows, int columns, int[] rowIds, int[] columnIds)
    {
        var ptr = new int[rows + 1];
        foreach (var r in rowIds) ptr[r + 1]++;
        for (int r = 0; r < rows; r++) ptr[r + 1] += ptr[r];
        var next = ptr[..^1].ToArray();
        var idx = new int[rowIds.Length];
        for (int i = 0; i < rowIds.Length; i++) idx[next[rowIds[i]]++] = columnIds[i];
        return new SparseMatrix(rows, columns, ptr, idx);
    }

    public ReadOnlySpan<int> Row(int r) => Indices.AsSpan(RowPointers[r], RowPointers[r + 1] - RowPointers[r]);
    public int RowLength(int r) => RowPointers[r + 1] - RowPointers[r];

    /// <summary>A copy with the given per-entry weights (same sparsity pattern).</summary>
    public SparseMatrix WithValues(float[] values) => new(Rows, Columns, RowPointers, Indices, values);

    /// <summary>The first <paramref name="rows"/> rows (same columns).</summary>
    public SparseMatrix Head(int rows)
    {
        if (rows < 0 || rows > Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"Head: {rows} rows of a {Rows}-row matrix.");
        var end = RowPointers[rows];
        return new SparseMatrix(rows, Columns, RowPointers[..(rows + 1)], Indices[..end], Values?[..end]);
    }

    /// <summary>Entry-wise union of two matrices of the same shape (duplicates kept once; values dropped).</summary>
    public SparseMatrix Union(SparseMatrix other)
    {
        if (other.Rows != Rows || other.Columns != Columns) throw new ArgumentException("shapes differ.");
        var ptr = new int[Rows + 1];
        var idx = new List<int>(NonZeros + other.NonZeros);
        for (int r = 0; r < Rows; r++)
        {
            var set = new HashSet<int>();
            foreach (var c in Row(r)) if (set.Add(c)) idx.Add(c);
            foreach (var c in other.Row(r)) if (set.Add(c)) idx.Add(c);
            ptr[r + 1] = idx.Count;
        }
        return new SparseMatrix(Rows, Columns, ptr, idx.ToArray());
    }
}

/// <summary>
/// Implicit feedback for full-ranking collaborative filtering (DiffRec): train, valid and test user × item matrices over
/// the same users and items. As the official loader does, the matrix size is (max user id + 1) × (max item id + 1)
/// over all three splits.
/// </summary>
public sealed class InteractionDataset
{
    public string Name { get; }
    public int Users { get; }
    public int Items { get; }
    public SparseMatrix Train { get; }
    public SparseMatrix Valid { get; }
    public SparseMatrix Test { get; }
    /// <summary>Item embeddings shipped with the data (DiffRec's LightGCN <c>item_emb.npy</c>), or null.</summary>
    public float[,]? ItemEmbeddings { get; }

    public InteractionDataset(string name, int users, int items, SparseMatrix train, SparseMatrix valid, SparseMatrix test, float[,]? itemEmbeddings = null)
    {
        Name = name; Users = users; Items = items; Train = train; Valid = valid; Test = test; ItemEmbeddings = itemEmbeddings;
    }

    /// <summary>
    /// Loads a DiffRec-layout folder (<c>train.tsv</c>, <c>valid.tsv</c>, <c>test.tsv</c> with header <c>user item</c>,
    /// optional <c>item_emb.tsv</c>). With a <paramref name="card"/>, row counts and sizes are checked against it.
    /// </summary>
    public static InteractionDataset Load(string folder, DatasetCard? card = null)
    {
        var name = card?.Name ?? Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        var splits = new[] { "train.tsv", "valid.tsv", "test.tsv" }
            .Select(f => (File: f, Columns: TsvReader.ReadIntColumns(Path.Combine(folder, f), "user", "item"))).ToArray();
        int users = splits.Max(s => s.Columns[0].Max()) + 1, items = splits.Max(s => s.Columns[1].Max()) + 1;
        if (card is not null)
        {
            foreach (var (file, cols) in splits)
                if (cols[0].Length != card.File(file).Rows)
                    throw new ReproDiffException($"{Path.Combine(folder, file)}: {cols[0].Length} rows, but the card of '{card.Name}' expects {card.File(file).Rows}.");
            if (users != card.Users || items != card.Items)
                throw new ReproDiffException($"{folder}: {users} users × {items} items, but the card of '{card.Name}' expects {card.Users} × {card.Items}.");
        }
        var m = splits.Select(s => SparseMatrix.FromPairs(users, items, s.Columns[0], s.Columns[1])).ToArray();
        float[,]? emb = null;
        var embPath = Path.Combine(folder, "item_emb.tsv");
        if (File.Exists(embPath))
        {
            var header = File.ReadLines(embPath).First().Split('\t');
            emb = TsvReader.ReadFloatMatrix(embPath, header.Length);
            if (emb.GetLength(0) != items)
                throw new ReproDiffException($"{embPath}: {emb.GetLength(0)} embedding rows, but the dataset has {items} items.");
        }
        return new InteractionDataset(name, users, items, m[0], m[1], m[2], emb);
    }

    /// <summary>Loads a dataset by name from the data root, checking its card.</summary>
    public static InteractionDataset Load(DataRoot root, string name)
    {
        var card = DatasetCatalog.Get(name);
        if (card.Layout != "interactions") throw new ReproDiffException($"dataset '{name}' holds sequences, not a user × item matrix; use SequenceDataset.");
        return Load(root.DatasetFolder(name), card);
    }

    /// <summary>
    /// The first <paramref name="users"/> users with every item, their splits and the item embeddings unchanged: a real
    /// sample for quick runs (a notebook's quick profile). Item popularity is then counted over these users only.
    /// </summary>
    public InteractionDataset Head(int users)
    {
        if (users < 1) throw new ArgumentException($"Head: users must be positive, got {users}.");
        if (users >= Users) return this;
        return new InteractionDataset($"{Name} (first {users} users)", users, Items, Train.Head(users), Valid.Head(users), Test.Head(users), ItemEmbeddings);
    }

    /// <summary>
    /// T-DiffRec's time-aware weights (Wang et al. §3.5): the m-th of a user's M training interactions, in file order,
    /// gets w_m = w_min + (m−1)/(M−1)·(w_max − w_min). A user with one interaction gets w_max.
    /// </summary>
    public SparseMatrix TimeWeightedTrain(double wMin, double wMax = 1.0)
    {
        if (!(wMin >= 0 && wMin <= wMax)) throw new ArgumentException($"time weights: w_min = {wMin} must lie in [0, w_max = {wMax}].");
        var w = new float[Train.NonZeros];
        for (int u = 0; u < Users; u++)
        {
            int start = Train.RowPointers[u], n = Train.RowLength(u);
            // np.linspace(w_min, w_max, n) as the official T-DiffRec data_load: a single interaction gets w_min (parity test).
            for (int m = 0; m < n; m++) w[start + m] = (float)(n == 1 ? wMin : wMin + (double)m / (n - 1) * (wMax - wMin));
        }
        return Train.WithValues(w);
    }
}
